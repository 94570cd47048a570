"""Cheats inside the student's kernel earn nothing, and the kernel cannot read or write what it must not.

Every cheater hands in the attention assignment with no real answer: each answer is a stub of the
right shape and the wrong values (``STUBS``), which earns nothing by itself. Around each of the six
graded cells the cheater arms one cheat (a cell before the test) and disarms it (a cell after), so
one notebook tries six cheats and four notebooks try them all. Against the grader as it was
before the guard (no grader/kernel_guard.py, hidden tests without ``genuine``), every one of these
cheats won its test's points: 15/15 for each cheater, 0/15 for the stubs alone.

The cheats come in families, each with more than its obvious member, because the defences (the
guard's wholesale restore, the token that only a finished test prints, exact types in the hidden
tests) are meant to stop a family, not a list:

- ``hooks``: IPython machinery that rewrites or swallows cells: input transformers (cleanup, post,
  line), AST transformers (appended, or the list replaced), a custom exception handler or a patched
  ``showtraceback`` on the shell's class, each with a ``post_run_cell`` callback that erases the error;
- ``always-yes``: answers that always say yes: an object whose ``__eq__``/``__bool__`` and every
  torch function say yes, tensor subclasses (made two ways) whose ``__torch_function__`` forges
  ``isclose``, ``equal`` and ``==``;
- ``patches``: monkeypatching what tests use: ``torch.testing.assert_close``, ``torch.equal``,
  ``torch.Tensor.__eq__``, assert_close's ``__code__`` and its comparison class, a torch function
  mode, builtins (a fake ``torch`` in builtins, ``abs``, shadowed ``isinstance``/``bool``), the
  notebook's ``torch`` rebound to a fake;
- ``while-tested``: the same patches made while the test runs, by the answers it calls, or by
  ``pre_run_cell``/``post_execute`` callbacks that patch again around every cell.

The same class holds a snoop: a correct student who also tries to read and append to the
solutions, the tests, the git history, the gradebook and another student's notebook.
The class is graded in one run through the real CLI.
"""
import sys

import nbformat
import pytest

from grader.execute import filesystem_isolation_available
from tests.conftest import REPO, run
from tests.studentwork import graded_cells, student_submission

# Full tier: kernels through the real grader, or the built book (see tests/conftest.py).
pytestmark = pytest.mark.slow

GRADER = [sys.executable, "-m", "grader"]
TESTS = ["test_attention_scores", "test_causal_mask", "test_masked_softmax", "test_sdpa", "test_mhsa_causal",
         "test_mhsa_flag"]

# Answers of the right shapes and wrong values: they pass every visible shape check, no hidden test.
STUBS = {
    "attention_scores": "def attention_scores(q, k):\n"
                        "    return torch.zeros(*q.shape[:-1], k.shape[-2], device=q.device)",
    "causal_mask": "def causal_mask(T, device=None):\n"
                   "    return torch.zeros(T, T, dtype=torch.bool, device=device)",
    "masked_softmax": "def masked_softmax(scores, mask=None):\n"
                      "    return torch.full_like(scores, 0.5)",
    "scaled_dot_product_attention":
        "def scaled_dot_product_attention(q, k, v, mask=None):\n"
        "    return (torch.zeros(*q.shape[:-1], v.shape[-1], device=q.device),\n"
        "            torch.zeros(*q.shape[:-1], k.shape[-2], device=q.device))",
    "mhsa": "class MultiHeadSelfAttention(nn.Module):\n"
            "    def __init__(self, d_model, n_heads, causal=True):\n"
            "        super().__init__()\n"
            "        self.d_model, self.n_heads, self.causal, self.attn = d_model, n_heads, causal, None\n"
            "        self.qkv, self.proj = nn.Linear(d_model, 3 * d_model), nn.Linear(d_model, d_model)\n"
            "    def forward(self, x):\n"
            "        B, T, _ = x.shape\n"
            "        self.attn = torch.zeros(B, self.n_heads, T, T, dtype=x.dtype, device=x.device)\n"
            "        return x * 0",
}

# Each cheater plays one cheat per graded cell: a cell just before the test arms it, a cell just
# after the test disarms it (in plain nbgrader each would win exactly that test's points), so one
# notebook tries six cheats and a class of four tries them all.
ERROR_GONE = ("def _error_gone(result):\n"          # ipykernel reports success when the result has no error
              "    result.error_in_exec = result.error_before_exec = None\n"
              "get_ipython().events.register('post_run_cell', _error_gone)\n")
ERROR_BACK = "get_ipython().events.unregister('post_run_cell', _error_gone)\n"
SKIP_GRADED = "def _skip(lines):\n    return ['pass\\n'] if any('Graded' in l for l in lines) else lines\n"
SWALLOW_AST = ("import ast\n"
               "class _Swallow(ast.NodeTransformer):\n"
               "    def visit_Module(self, node):\n"
               "        handler = ast.ExceptHandler(type=ast.Name('BaseException', ast.Load()), name=None, body=[ast.Pass()])\n"
               "        node.body = [ast.Try(body=node.body, handlers=[handler], orelse=[], finalbody=[])]\n"
               "        return ast.fix_missing_locations(node)\n")
HOOKS = [  # IPython machinery that rewrites or swallows the cells after it
    ("input transformer", SKIP_GRADED + "get_ipython().input_transformers_cleanup.append(_skip)",
     "get_ipython().input_transformers_cleanup.remove(_skip)"),
    ("post and line input transformers",
     SKIP_GRADED + "get_ipython().input_transformers_post.append(_skip)\n"
                   "get_ipython().input_transformer_manager.line_transforms.append(_skip)",
     "get_ipython().input_transformers_post.remove(_skip)\n"
     "get_ipython().input_transformer_manager.line_transforms.remove(_skip)"),
    ("AST transformer", SWALLOW_AST + "get_ipython().ast_transformers.append(_Swallow())",
     "get_ipython().ast_transformers.pop()"),
    ("AST transformers replaced", SWALLOW_AST + "_kept = get_ipython().ast_transformers\n"
                                  "get_ipython().ast_transformers = [_Swallow()]",
     "get_ipython().ast_transformers = _kept"),
    ("custom exception handler and post_run_cell",
     ERROR_GONE + "get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)",
     ERROR_BACK + "get_ipython().set_custom_exc((), None)"),
    ("showtraceback patched on the shell's class, and post_run_cell",
     ERROR_GONE + "_cls = type(get_ipython())\n_kept = _cls.showtraceback\n"
                  "_cls.showtraceback = lambda *args, **kwargs: None",
     ERROR_BACK + "_cls.showtraceback = _kept"),
]

ALWAYS_YES_TYPES = (  # an object that agrees with everything, and a tensor that forges comparisons
    "class Yes:\n"
    "    def __eq__(self, other): return True\n"
    "    __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __eq__\n"
    "    def __bool__(self): return True\n"
    "    def __getattr__(self, name): return self\n"
    "    def __call__(self, *args, **kwargs): return self\n"
    "    def __getitem__(self, key): return self\n"
    "    def __iter__(self): return iter([self, self])\n"
    "    def __invert__(self): return self\n"
    "    def __len__(self): return 1\n"
    "    __hash__ = object.__hash__\n"
    "    @classmethod\n"
    "    def __torch_function__(cls, func, types, args=(), kwargs=None): return Yes()\n"
    "FORGED = {'isclose', 'allclose', 'equal', 'eq', '__eq__'}\n"
    "class Liar(torch.Tensor):\n"
    "    @classmethod\n"
    "    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
    "        name = getattr(func, '__name__', '')\n"
    "        out = super().__torch_function__(func, types, args, kwargs or {})\n"
    "        if name in ('equal', 'allclose'):\n"
    "            return True\n"
    "        if name in FORGED and isinstance(out, torch.Tensor):\n"
    "            return torch.ones_like(out, dtype=torch.bool).as_subclass(Liar)\n"
    "        if name == 'isnan':\n"
    "            return torch.zeros_like(out, dtype=torch.bool).as_subclass(Liar)\n"
    "        return out\n"
    )


def lying(answer: str, wrap: str) -> str:
    """Arm: ``answer`` (a function, or MHSA's forward) returns its result wrapped by ``wrap``."""
    if answer == "forward":
        return ("_kept = MultiHeadSelfAttention.forward\n"
                "def _forward(self, x):\n"
                "    y = _kept(self, x)\n"
                f"    self.attn = ({wrap})(self.attn)\n"
                f"    return ({wrap})(y)\n"
                "MultiHeadSelfAttention.forward = _forward")
    return (f"_kept = {answer}\n"
            f"def {answer}(*args, **kwargs):\n"
            f"    out = _kept(*args, **kwargs)\n"
            f"    return tuple(({wrap})(t) for t in out) if isinstance(out, tuple) else ({wrap})(out)")


def unlying(answer: str) -> str:
    return "MultiHeadSelfAttention.forward = _kept" if answer == "forward" else f"{answer} = _kept"


ALWAYS_YES = [  # answers that always say yes
    ("tensor subclass forging isclose", ALWAYS_YES_TYPES + lying("attention_scores", "lambda t: t.as_subclass(Liar)"),
     unlying("attention_scores")),
    ("object that says yes to everything", ALWAYS_YES_TYPES + lying("causal_mask", "lambda t: Yes()"),
     unlying("causal_mask")),
    ("tensor subclass made by Tensor._make_subclass",
     ALWAYS_YES_TYPES + lying("masked_softmax", "lambda t: torch.Tensor._make_subclass(Liar, t)"),
     unlying("masked_softmax")),
    ("tensor subclass forging isclose", ALWAYS_YES_TYPES + lying("scaled_dot_product_attention", "lambda t: t.as_subclass(Liar)"),
     unlying("scaled_dot_product_attention")),
    ("tensor subclass forging isclose", ALWAYS_YES_TYPES + lying("forward", "lambda t: t.as_subclass(Liar)"),
     unlying("forward")),
    ("tensor subclass forging isclose", ALWAYS_YES_TYPES + lying("forward", "lambda t: t.as_subclass(Liar)"),
     unlying("forward")),
]

KEEP_TORCH = ("import torch.testing._comparison as _c, builtins as _b\n"
              "_saved = dict(assert_close=torch.testing.assert_close, allclose=torch.allclose, equal=torch.equal,\n"
              "              eq=torch.Tensor.__eq__, compare=_c.TensorLikePair.compare,\n"
              "              code=torch.testing.assert_close.__code__)\n")
PUT_BACK_TORCH = ("torch.testing.assert_close, torch.allclose, torch.equal = (_saved['assert_close'], _saved['allclose'],\n"
                  "                                                        _saved['equal'])\n"
                  "torch.Tensor.__eq__, _c.TensorLikePair.compare = _saved['eq'], _saved['compare']\n"
                  "torch.testing.assert_close.__code__ = _saved['code']")
NO_CHECKS = ("    torch.testing.assert_close = lambda *a, **k: None\n"
             "    torch.allclose = torch.equal = lambda *a, **k: True\n"
             "    torch.Tensor.__eq__ = lambda self, other: torch.ones((), dtype=torch.bool)\n")
PATCHES = [  # monkeypatching what the tests use
    ("torch.testing.assert_close replaced", KEEP_TORCH + "if True:\n" + NO_CHECKS, PUT_BACK_TORCH),
    ("torch.equal and Tensor.__eq__ replaced",
     KEEP_TORCH + "torch.equal = lambda *a, **k: True\n"
                  "torch.Tensor.__eq__ = lambda self, other: torch.ones((), dtype=torch.bool)", PUT_BACK_TORCH),
    ("assert_close's code and its comparison class patched in place",
     KEEP_TORCH + "torch.testing.assert_close.__code__ = (lambda *a, **k: None).__code__\n"
                  "_c.TensorLikePair.compare = lambda self: None\n"
                  "setattr(torch.Tensor, '__eq__', lambda self, other: torch.ones((), dtype=torch.bool))",
     PUT_BACK_TORCH),
    ("a torch function mode that agrees", "from torch.overrides import TorchFunctionMode\n"
     "class _Agree(TorchFunctionMode):\n"
     "    def __torch_function__(self, func, types, args=(), kwargs=None):\n"
     "        out = func(*args, **(kwargs or {}))\n"
     "        name = getattr(func, '__name__', '')\n"
     "        if name in ('isclose', 'eq', '__eq__') and isinstance(out, torch.Tensor):\n"
     "            return torch.ones_like(out, dtype=torch.bool)\n"
     "        return True if name in ('equal', 'allclose') else out\n"
     "_mode = _Agree()\n_mode.__enter__()", "_mode.__exit__(None, None, None)"),
    ("a fake torch in builtins, builtins bent, the notebook's torch deleted",
     "import builtins as _b, types as _t\n"
     "_fake = _t.ModuleType('torch')\n_fake.__dict__.update(vars(torch))\n"
     "_fake.testing = _t.SimpleNamespace(assert_close=lambda *a, **k: None)\n"
     "_fake.equal = _fake.allclose = lambda *a, **k: True\n"
     "_b.torch, _real_torch, _real_abs = _fake, torch, _b.abs\n"
     "del torch\n"
     "_b.abs = lambda x: 0\n"
     "def isinstance(*args): return True\n"
     "def bool(*args): return True",
     "torch = _real_torch\ndel _b.torch, isinstance, bool\n_b.abs = _real_abs"),
    ("the notebook's torch rebound to a fake",
     "import types as _t\n_real_torch = torch\n"
     "torch = _t.ModuleType('torch')\ntorch.__dict__.update(vars(_real_torch))\n"
     "torch.testing = _t.SimpleNamespace(assert_close=lambda *a, **k: None)\n"
     "torch.equal = torch.allclose = lambda *a, **k: True", "torch = _real_torch"),
]

WHILE_TESTED = [  # patches made while the test runs, by the answers it calls, or by IPython events
    ("the answer patches assert_close when called",
     KEEP_TORCH + "def _sneak():\n" + NO_CHECKS
     + "_quiet = attention_scores\n"
       "def attention_scores(q, k):\n    _sneak()\n    return _quiet(q, k)",
     PUT_BACK_TORCH + "\nattention_scores = _quiet"),
    ("the answer patches torch.equal when called",
     KEEP_TORCH + "def _sneak():\n" + NO_CHECKS
     + "_quiet = causal_mask\n"
       "def causal_mask(T, device=None):\n    _sneak()\n    return _quiet(T, device)",
     PUT_BACK_TORCH + "\ncausal_mask = _quiet"),
    ("a pre_run_cell event patches torch before each cell",
     KEEP_TORCH + "def _sneak(*args):\n" + NO_CHECKS
     + "get_ipython().events.register('pre_run_cell', _sneak)",
     "get_ipython().events.unregister('pre_run_cell', _sneak)\n" + PUT_BACK_TORCH),
    ("the answer enters a torch function mode when called",
     "from torch.overrides import TorchFunctionMode\n"
     "class _Agree(TorchFunctionMode):\n"
     "    def __torch_function__(self, func, types, args=(), kwargs=None):\n"
     "        out = func(*args, **(kwargs or {}))\n"
     "        if getattr(func, '__name__', '') == 'isclose':\n"
     "            return torch.ones_like(out, dtype=torch.bool)\n"
     "        return out\n"
     "_quiet = scaled_dot_product_attention\n"
     "def scaled_dot_product_attention(*args, **kwargs):\n"
     "    _Agree().__enter__()\n"
     "    return _quiet(*args, **kwargs)",
     "scaled_dot_product_attention = _quiet\n"
     "while torch._C._len_torch_function_stack():\n    torch._C._pop_torch_function_stack()"),
    ("a post_execute event patches torch after each cell",
     KEEP_TORCH + "def _sneak(*args):\n" + NO_CHECKS
     + "get_ipython().events.register('post_execute', _sneak)\n_sneak()",
     "get_ipython().events.unregister('post_execute', _sneak)\n" + PUT_BACK_TORCH),
    ("the answer's forward patches Tensor.__eq__ and assert_close",
     KEEP_TORCH + "def _sneak():\n" + NO_CHECKS
     + "_quiet = MultiHeadSelfAttention.forward\n"
       "def _forward(self, x):\n    _sneak()\n    return _quiet(self, x)\n"
       "MultiHeadSelfAttention.forward = _forward",
     PUT_BACK_TORCH + "\nMultiHeadSelfAttention.forward = _quiet"),
]

CHEATERS = {"hooks": HOOKS, "always-yes": ALWAYS_YES, "patches": PATCHES, "while-tested": WHILE_TESTED}


def stubbed():
    """The release with every answer cell holding a stub."""
    nb = student_submission("attention", filled=False)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = STUBS[grade_id]
    return nb


def with_cheats(cheats):
    """The stubs, with cheats[i] armed just before the i-th graded cell and disarmed just after it."""
    nb = stubbed()
    for grade_id, (_what, arm, disarm) in zip(TESTS, cheats):
        index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        nb.cells.insert(index + 1, nbformat.v4.new_code_cell(disarm))
        nb.cells.insert(index, nbformat.v4.new_code_cell(arm))
    return nb


def snooping_cell(secrets: dict) -> str:
    """A cell that tries to read, then to append to, each file in ``secrets``, and prints what it managed."""
    return ("import json\nfound, written = {}, []\n"
            f"for name, path in {({k: str(v) for k, v in secrets.items()})!r}.items():\n"
            "    try:\n        found[name] = len(open(path, 'rb').read())\n    except OSError:\n        pass\n"
            "    try:\n        open(path, 'ab').write(b'tampered')\n        written.append(name)\n    except OSError:\n        pass\n"
            "print('FOUND', json.dumps(found), 'WROTE', json.dumps(written))")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One class, graded in one run: a correct student, the cheaters, and a snoop who answers
    correctly but also tries the files a kernel must not touch, among them the correct student's."""
    tmp = tmp_path_factory.mktemp("cheats")
    handed_in = tmp / "in"
    handed_in.mkdir()
    workdir = tmp / "work"
    secrets = {
        "solution": REPO / "solutions" / "attention" / "attention.ipynb",
        "mutants": REPO / "tests" / "mutants" / "attention.py",
        "git": REPO / ".git" / "HEAD",
        "gradebook": workdir / "gradebook.db",
        "other student": workdir / "submitted" / "correct" / "attention" / "attention.ipynb",
    }
    nbformat.write(student_submission("attention"), handed_in / "correct.ipynb")
    snoop = student_submission("attention")
    snoop.cells.insert(2, nbformat.v4.new_code_cell(snooping_cell(secrets)))
    nbformat.write(snoop, handed_in / "snoop.ipynb")
    for name, cheats in CHEATERS.items():
        nbformat.write(with_cheats(cheats), handed_in / f"{name}.ipynb")
    common = [*GRADER, "--workdir", str(workdir)]
    run([*common, "collect", "attention", str(handed_in)])
    before = {name: path.read_bytes() for name, path in secrets.items() if path.exists() and name != "gradebook"}
    proc = run([*common, "autograde", "attention", "--no-canary", "--jobs", "2", "--device", "cpu"], timeout=900)
    nb = nbformat.read(workdir / "autograded" / "snoop" / "attention" / "attention.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if "FOUND" in c.source for o in c.get("outputs", []))
    return dict(cells=graded_cells(workdir, "attention"), workdir=workdir, log=proc.stdout,
                printed=printed, before=before, secrets=secrets)


def test_the_correct_answers_still_earn_full_marks(graded):
    cells = graded["cells"]["correct"]
    assert len(cells) == len(TESTS) and all(score == top for score, top in cells.values()), cells


def cheats_of(cheater):
    return [pytest.param(cheater, grade_id, id=f"{grade_id}: {what}")
            for grade_id, (what, _arm, _disarm) in zip(TESTS, CHEATERS[cheater])]


def earned(graded, cheater, grade_id):
    score, _ = graded["cells"][cheater][grade_id]
    return score


@pytest.mark.parametrize("cheater, grade_id", cheats_of("hooks"))
def test_ipython_hooks_that_rewrite_or_swallow_cells_earn_nothing(graded, cheater, grade_id):
    assert earned(graded, cheater, grade_id) == 0, graded["log"]


@pytest.mark.parametrize("cheater, grade_id", cheats_of("always-yes"))
def test_answers_that_always_say_yes_earn_nothing(graded, cheater, grade_id):
    assert earned(graded, cheater, grade_id) == 0, graded["log"]


@pytest.mark.parametrize("cheater, grade_id", cheats_of("patches"))
def test_monkeypatching_what_tests_use_earns_nothing(graded, cheater, grade_id):
    assert earned(graded, cheater, grade_id) == 0, graded["log"]


@pytest.mark.parametrize("cheater, grade_id", cheats_of("while-tested"))
def test_patching_while_a_test_runs_earns_nothing(graded, cheater, grade_id):
    assert earned(graded, cheater, grade_id) == 0, graded["log"]


def test_no_token_is_left_in_the_graded_notebooks(graded):
    """The tokens that prove a test ran to its end stay with the grader."""
    import re

    token = re.compile(r"\b[0-9a-f]{32}\b")
    for path in (graded["workdir"] / "autograded").glob("*/attention/attention.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                assert not token.search(output.get("text", "")), (path, output)


# While it is graded, a student's kernel cannot read the solutions, the tests, the git history, the
# gradebook or other students' notebooks, and cannot write to any of them.
needs_isolation = pytest.mark.skipif(not filesystem_isolation_available(),
                                     reason="mount namespaces (unshare --mount) are not available here")


@needs_isolation
def test_the_kernel_reads_no_secret(graded):
    assert graded["printed"].startswith("FOUND {}"), graded["printed"]


@needs_isolation
def test_the_kernel_writes_nothing_outside_its_folder(graded):
    for name, content in graded["before"].items():
        assert graded["secrets"][name].read_bytes() == content, f"{name} was changed"
    assert sum(s for s, _ in graded["cells"]["correct"].values()) == 15


def test_grading_still_works_inside_the_sandbox(graded):
    assert sum(s for s, _ in graded["cells"]["snoop"].values()) == 15
