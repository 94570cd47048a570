"""The in-kernel guard (grader/kernel_guard.py) on its own, in one real kernel: quick checks of the
cases that grading a whole class would only show slowly.

TorchDynamo is imported lazily, by an optimizer's first step, and then wraps ``torch.manual_seed``.
The guard used to import it up front (1.3 s more for every kernel) so that this wrapping could not
look like tampering; it now recognises dynamo's own wrapper instead, and nothing else that merely
looks like it.
"""
import hashlib
import secrets

import pytest
from jupyter_client.manager import start_new_kernel

from grader.execute import GUARD_NAME, GUARD_SOURCE

SETUP = "import functools, sys\nimport torch\nimport torch.nn as nn"
FIRST_OPTIMIZER_STEP = ("model = nn.Linear(3, 3)\n"
                        "opt = torch.optim.AdamW(model.parameters())\n"
                        "model(torch.ones(3)).sum().backward()\n"
                        "opt.step()\n"
                        "assert 'torch._dynamo' in sys.modules")
WRAPPED_BY_HAND = ("_seed = torch.manual_seed\n"
                   "@functools.wraps(_seed)\n"
                   "def _always_zero(seed):\n"
                   "    return _seed(0)\n"
                   "torch.manual_seed = _always_zero")
DYNAMO_WRAPPER_OF_SOMETHING_ELSE = "torch.manual_seed = torch._disable_dynamo(lambda seed: torch.random.manual_seed(0))"
TESTS = [FIRST_OPTIMIZER_STEP, WRAPPED_BY_HAND, DYNAMO_WRAPPER_OF_SOMETHING_ELSE]


class Kernel:
    def __init__(self):
        self.km, self.kc = start_new_kernel()

    def run(self, code: str) -> tuple[str, str]:
        """(status, everything the cell printed or raised)."""
        out = []

        def keep(msg):
            content = msg["content"]
            out.append(content.get("text") or content.get("evalue") or "")

        reply = self.kc.execute_interactive(code, output_hook=keep, timeout=120)
        return reply["content"]["status"], "".join(out)

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def guarded():
    """A kernel with the setup run and the guard installed, and each test's token."""
    kernel = Kernel()
    assert kernel.run(SETUP)[0] == "ok"
    tokens = {index: (hashlib.sha256(source.encode()).hexdigest(), secrets.token_hex(8))
              for index, source in enumerate(TESTS)}
    install = (f"(lambda ns: (exec(compile({GUARD_SOURCE!r}, '<grader guard>', 'exec'), ns), "
               f"ns['install']({tokens!r})))({{'__name__': 'guard_source'}})")
    assert kernel.run(install)[0] == "ok"
    yield kernel, tokens
    kernel.close()


def run_test(guarded, index: int) -> tuple[str, str, str]:
    kernel, tokens = guarded
    status, out = kernel.run(f"sys.modules[{GUARD_NAME!r}].run({index}, {TESTS[index]!r})")
    return status, out, tokens[index][1]


def test_installing_the_guard_does_not_import_dynamo(guarded):
    kernel, _ = guarded
    assert kernel.run("print('torch._dynamo' in sys.modules)") == ("ok", "False\n")


def test_a_test_whose_optimizer_step_imports_dynamo_passes(guarded):
    status, out, token = run_test(guarded, 0)
    assert (status, token in out) == ("ok", True), out


def test_a_hand_made_wrapper_of_manual_seed_is_still_tampering(guarded):
    status, out, token = run_test(guarded, 1)
    assert status == "error" and token not in out
    assert "torch.manual_seed" in out


def test_dynamos_wrapper_around_another_function_is_still_tampering(guarded):
    status, out, token = run_test(guarded, 2)
    assert status == "error" and token not in out
    assert "torch.manual_seed" in out
