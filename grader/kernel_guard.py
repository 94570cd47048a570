"""The grader's guard inside a student's kernel: graded cells run on untampered machinery.

The grader imports this file only for ``GUARD_NAME``; ``GuardedExecute`` sends its text to the kernel, once
no student code has run yet (right after the notebook's locked setup cells), and calls
``install(tokens)``. From then on every graded (test) cell reaches the kernel as one line,
``sys.modules["_grader_guard"].run(index, source)``, and ``run``:

1. checks that ``source`` is the graded cell the grader meant (its SHA-256 was sent at install);
2. restores everything a student could have bent, wholesale rather than cheat by cheat:
   - IPython's hooks: input transformers (cleanup, line, token, post), AST transformers,
     prefilter transformers and checkers, every event callback (pre/post execute, pre/post run
     cell), custom exception handlers, any method of the shell (``showtraceback``...) replaced on
     the instance or on its classes;
   - ``sys`` hooks: stdout, stderr, displayhook, excepthook, tracing and profiling, and the
     ``sys.modules`` entries of the modules below;
   - the modules tests rely on (builtins, math, torch, torch.nn, torch.testing, numpy,
     llmcourse, ...: ``PROTECTED_MODULES``): every attribute replaced, added or deleted is put back, so are the methods
     of the classes they define (``torch.Tensor.__eq__``, ``TensorLikePair.compare``) and the code
     of their functions (``assert_close.__code__``); torch function and dispatch modes are popped;
   - the names the setup cells and earlier tests bound (``torch``, ``F``, ``device``, a test's
     helper), so that rebinding them in the notebook changes nothing; names that shadow a builtin
     (``isinstance = ...``) are set aside while the test runs, and ``__builtins__`` is the real one;
3. runs the test as plain Python (no magics, no IPython transformers) in the notebook's namespace;
4. checks that the test left all of the above as it found it: answer code that patches ``torch``
   or registers a hook *while* the test runs fails the cell;
5. only then prints the cell's token, a secret the grader drew for this cell. The grader fails
   every graded cell whose output lacks its token, so a test that raised, was skipped, or had its
   exception swallowed (a custom handler, a patched ``showtraceback`` or ``run_cell``) earns nothing.

What this cannot stop: code that attacks the guard itself (it lives in the same process, so
``gc`` can find its closures and the tokens), and answer code that, called by a test, rewrites the
running test (a ``sys.settrace`` frame jump, ``ctypes``) or swaps a compiled kernel of PyTorch's
dispatcher (``torch.library``). Only running tests outside the student's process would.
"""

GUARD_NAME = "_grader_guard"

# The modules tests rely on, with every module loaded under a name ending in "*" when the guard
# installs. Not all of torch: its other corners (distributed, fx, dynamo) legitimately patch their
# own classes the first time something imports them.
PROTECTED_MODULES = ("builtins", "math", "cmath", "operator", "functools", "itertools", "copy", "numbers", "hashlib",
                     "torch", "torch._tensor", "torch.functional", "torch.overrides", "torch.random", "torch.linalg",
                     "torch.special", "torch.nn*", "torch.testing*", "torch.autograd*", "torch.distributions*",
                     "torch.utils.hooks", "numpy", "numpy._core*", "numpy.core*", "numpy.testing*", "numpy.linalg*",
                     "numpy.lib*", "llmcourse*")


def protected(name):
    return any(name == p or (p.endswith("*") and name.startswith(p[:-1])) for p in PROTECTED_MODULES)


def install(tokens):
    """``tokens``: {cell index: (sha256 of the cell's source, the token to print when it passes)}.

    Binds what the guard will call, takes a snapshot of what tests rely on, and registers the guard
    as ``sys.modules[GUARD_NAME]``, whose ``run`` the grader calls for each graded cell."""
    bound = bind_primitives()
    state = snapshot(bound)
    differences = make_differences(bound, state)
    restore = make_restore(differences)
    run = make_run(bound, state, tokens, differences, restore)
    guard = bound["ModuleType"](GUARD_NAME)
    guard.run = run
    bound["modules"][GUARD_NAME] = guard


def bind_primitives():
    """Everything the guard calls later, bound now, before any student code ran: a student may
    rebind builtins.setattr or hashlib.sha256 afterwards, never the guard's copies."""
    import builtins
    import hashlib
    import sys
    import types

    bound = dict(
        exec=builtins.exec, compile=builtins.compile, setattr=builtins.setattr, delattr=builtins.delattr,
        getattr=builtins.getattr, isinstance=builtins.isinstance, callable=builtins.callable, type=builtins.type,
        list=builtins.list, dict=builtins.dict, len=builtins.len, id=builtins.id, vars=builtins.vars, zip=builtins.zip,
        modules=sys.modules, gettrace=sys.gettrace, getprofile=sys.getprofile, settrace=sys.settrace,
        setprofile=sys.setprofile, sha256=hashlib.sha256, object_setattr=object.__setattr__,
        type_setattr=type.__setattr__, type_delattr=type.__delattr__, ModuleType=types.ModuleType,
        FunctionType=types.FunctionType, builtins=builtins, sys=sys, MISSING=object(),
        # Runtime state that libraries change on their own (flags, caches): not restored.
        RUNTIME_DATA=(bool, int, type(None), tuple, list, dict, set, str),
        CODE_WRAPPERS=(staticmethod, classmethod, property),
        tf_len=None, td_len=None, tf_pop=None, td_pop=None, dynamo_inner=None, dynamo_globals=None,
    )
    try:
        import torch
        bound.update(tf_len=torch._C._len_torch_function_stack, tf_pop=torch._C._pop_torch_function_stack,
                     td_len=torch._C._len_torch_dispatch_stack, td_pop=torch._C._pop_torch_dispatch_stack)
    except (ImportError, AttributeError):
        pass
    try:
        # TorchDynamo, imported lazily (by an optimizer's first step, say), wraps torch.manual_seed
        # in torch._compile._disable_dynamo. Importing it here instead would cost every kernel 1.3 s,
        # so the guard knows that wrapper by its code object, its module and what it closes over.
        import torch._compile
        bound["dynamo_inner"] = next(c for c in torch._compile._disable_dynamo.__code__.co_consts
                                     if bound["getattr"](c, "co_name", None) == "inner")
        bound["dynamo_globals"] = bound["vars"](torch._compile)
    except (ImportError, AttributeError, StopIteration):
        pass

    def code_like(value):
        return bound["callable"](value) or bound["isinstance"](value, bound["CODE_WRAPPERS"])

    def dynamo_wrapper(now, before):
        """Whether ``now`` is TorchDynamo's own disable wrapper around ``before``, and nothing else."""
        if (bound["dynamo_inner"] is None or bound["type"](now) is not bound["FunctionType"]
                or now.__code__ is not bound["dynamo_inner"] or now.__globals__ is not bound["dynamo_globals"]):
            return False
        cells = bound["dict"](bound["zip"](now.__code__.co_freevars, now.__closure__ or ()))
        return "fn" in cells and cells["fn"].cell_contents is before

    class GradingIntegrityError(Exception):
        """The test did not run on the grader's terms; the message says what was changed."""

    bound.update(code_like=code_like, dynamo_wrapper=dynamo_wrapper, GradingIntegrityError=GradingIntegrityError)
    return bound


def snapshot(bound):
    """What is protected, as it is now: the protected modules' namespaces, their classes' and
    functions' code, IPython's hooks and event callbacks, sys hooks, and the trusted user names."""
    from IPython import get_ipython

    _type, _isinstance, _getattr = bound["type"], bound["isinstance"], bound["getattr"]
    _vars, _dict, _list, _id = bound["vars"], bound["dict"], bound["list"], bound["id"]
    FunctionType, ModuleType, CODE_WRAPPERS = bound["FunctionType"], bound["ModuleType"], bound["CODE_WRAPPERS"]
    sys, code_like = bound["sys"], bound["code_like"]
    shell = get_ipython()
    modules = []      # (name, module, its class, its __dict__, a copy of it)
    classes = []      # (class, a copy of its __dict__)
    functions = []    # (function, __code__, __defaults__, __kwdefaults__)
    seen = set()

    def remember_function(fn):
        if _type(fn) is FunctionType and _id(fn) not in seen:
            seen.add(_id(fn))
            functions.append((fn, fn.__code__, fn.__defaults__, fn.__kwdefaults__))

    def remember_class(cls):
        if _id(cls) in seen:
            return
        seen.add(_id(cls))
        namespace = _dict(_vars(cls))
        classes.append((cls, namespace))
        for value in namespace.values():
            remember_function(_getattr(value, "__func__", value) if _isinstance(value, CODE_WRAPPERS) else value)

    for name, module in _list(bound["modules"].items()):
        if not protected(name) or not _isinstance(module, ModuleType):
            continue
        namespace = _vars(module)
        modules.append((name, module, _type(module), namespace, _dict(namespace)))
        for value in _list(namespace.values()):
            if _isinstance(value, type) and _vars(value).get("__module__") == name:
                remember_class(value)
            else:
                remember_function(value)
    for cls in (*_type(shell).__mro__, *_type(sys.stdout).__mro__, *_type(shell.displayhook).__mro__):
        if cls is not object:
            remember_class(cls)

    manager = shell.input_transformer_manager
    hook_lists = [(shell, "input_transformers_post"), (shell, "ast_transformers"),
                  (manager, "cleanup_transforms"), (manager, "line_transforms"), (manager, "token_transformers"),
                  (shell.prefilter_manager, "_transformers"), (shell.prefilter_manager, "_checkers")]
    hook_lists = [(owner, attr, _getattr(owner, attr), _list(_getattr(owner, attr)))
                  for owner, attr in hook_lists if _isinstance(_getattr(owner, attr, None), list)]
    events = shell.events.callbacks
    user_ns = shell.user_ns
    return dict(
        shell=shell, user_ns=user_ns, modules=modules, classes=classes, functions=functions, hook_lists=hook_lists,
        events=events, event_lists={event: (callbacks, _list(callbacks)) for event, callbacks in events.items()},
        shell_state={k: v for k, v in _vars(shell).items() if code_like(v)},
        custom_exceptions=shell.custom_exceptions,
        sys_hooks={name: _getattr(sys, name) for name in ("stdout", "stderr", "displayhook", "excepthook",
                                                          "breakpointhook", "unraisablehook")},
        trusted={k: v for k, v in user_ns.items() if not k.startswith("_") and k not in shell.user_ns_hidden},
        builtin_names={k for k in _vars(bound["builtins"]) if not k.startswith("_")},
    )


def make_differences(bound, state):
    """``differences()``: each change since the snapshot, as (what changed, whether it is code
    rather than runtime data, how to put it back)."""
    _type, _isinstance, _getattr, _setattr = bound["type"], bound["isinstance"], bound["getattr"], bound["setattr"]
    _vars, _modules, _object_setattr = bound["vars"], bound["modules"], bound["object_setattr"]
    _type_setattr, _type_delattr = bound["type_setattr"], bound["type_delattr"]
    _gettrace, _getprofile, _settrace, _setprofile = (bound["gettrace"], bound["getprofile"], bound["settrace"],
                                                      bound["setprofile"])
    _tf_len, _td_len, _tf_pop, _td_pop = bound["tf_len"], bound["td_len"], bound["tf_pop"], bound["td_pop"]
    ModuleType, MISSING, RUNTIME_DATA = bound["ModuleType"], bound["MISSING"], bound["RUNTIME_DATA"]
    code_like, dynamo_wrapper, sys = bound["code_like"], bound["dynamo_wrapper"], bound["sys"]
    shell, modules, classes, functions = state["shell"], state["modules"], state["classes"], state["functions"]
    hook_lists, events, event_lists = state["hook_lists"], state["events"], state["event_lists"]
    shell_state, custom_exceptions, sys_hooks = state["shell_state"], state["custom_exceptions"], state["sys_hooks"]

    def differences():
        """(what changed, whether it is code rather than runtime data, how to put it back)."""
        found = []
        for name, module, cls, namespace, saved in modules:
            if _type(module) is not cls:
                found.append((f"the class of module {name}", True, lambda m=module, c=cls: _object_setattr(m, "__class__", c)))
            if _modules.get(name) is not module:
                found.append((f"sys.modules[{name!r}]", True, lambda n=name, m=module: _modules.__setitem__(n, m)))
            for key, value in saved.items():
                now = namespace.get(key, MISSING)
                if (now is not value and not (_isinstance(value, RUNTIME_DATA) and _isinstance(now, RUNTIME_DATA))
                        and not dynamo_wrapper(now, value)):
                    found.append((f"{name}.{key}", code_like(value) or code_like(now),
                                  lambda d=namespace, k=key, v=value: d.__setitem__(k, v)))
            for key in [k for k in namespace if k not in saved]:
                value = namespace[key]
                if not _isinstance(value, ModuleType) and not (key.startswith("__") and key.endswith("__")):
                    found.append((f"{name}.{key} (added)", code_like(value), lambda d=namespace, k=key: d.pop(k, None)))
        for cls, saved in classes:
            now_ns = _vars(cls)
            for key in {*saved, *now_ns}:
                before, now = saved.get(key, MISSING), now_ns.get(key, MISSING)
                if now is not before and (code_like(before) or code_like(now)):
                    fix = ((lambda c=cls, k=key: _type_delattr(c, k)) if before is MISSING
                           else (lambda c=cls, k=key, v=before: _type_setattr(c, k, v)))
                    found.append((f"{cls.__module__}.{cls.__qualname__}.{key}", True, fix))
        for fn, code, defaults, kwdefaults in functions:
            if fn.__code__ is not code or fn.__defaults__ is not defaults or fn.__kwdefaults__ is not kwdefaults:
                def fix(f=fn, c=code, d=defaults, kw=kwdefaults):
                    _setattr(f, "__code__", c)
                    _setattr(f, "__defaults__", d)
                    _setattr(f, "__kwdefaults__", kw)
                found.append((f"the code of {fn.__module__}.{fn.__qualname__}", True, fix))
        for owner, attr, lst, saved in hook_lists:
            if _getattr(owner, attr, None) is not lst or lst != saved:
                def fix(o=owner, a=attr, l=lst, s=saved):
                    l[:] = s
                    _setattr(o, a, l)
                found.append((f"IPython's {attr}", True, fix))
        if shell.events.callbacks is not events:
            found.append(("IPython's event callbacks", True, lambda: _setattr(shell.events, "callbacks", events)))
        for event in {*events, *shell.events.callbacks}:
            callbacks, saved = event_lists.get(event, (None, []))
            if events.get(event) is not callbacks or (callbacks is not None and callbacks != saved):
                def fix(e=event, c=callbacks, s=saved):
                    if c is None:
                        events.pop(e, None)
                    else:
                        c[:] = s
                        events[e] = c
                found.append((f"IPython's {event} callbacks", True, fix))
        shell_ns = _vars(shell)
        for key in {*shell_state, *(k for k, v in shell_ns.items() if code_like(v))}:
            before, now = shell_state.get(key, MISSING), shell_ns.get(key, MISSING)
            if now is not before:
                fix = ((lambda k=key: shell_ns.pop(k, None)) if before is MISSING
                       else (lambda k=key, v=before: shell_ns.__setitem__(k, v)))
                found.append((f"the shell's {key}", True, fix))
        if shell.custom_exceptions is not custom_exceptions:
            found.append(("IPython's custom exception handler", True,
                          lambda: _setattr(shell, "custom_exceptions", custom_exceptions)))
        for name, value in sys_hooks.items():
            if _getattr(sys, name) is not value:
                found.append((f"sys.{name}", True, lambda n=name, v=value: _setattr(sys, n, v)))
        if _gettrace() is not None or _getprofile() is not None:
            found.append(("a trace or profile function", True, lambda: (_settrace(None), _setprofile(None))))
        if _tf_len is not None and (_tf_len() or _td_len()):
            def fix():
                while _tf_len():
                    _tf_pop()
                while _td_len():
                    _td_pop()
            found.append(("an active torch function or dispatch mode", True, fix))
        return found

    return differences


def make_restore(differences):
    """``restore()``: put back everything ``differences()`` finds."""
    def restore():
        for _ in range(3):   # a fix can uncover another (a class put back, then its methods)
            found = differences()
            for _what, _serious, fix in found:
                try:
                    fix()
                except Exception:   # an immutable type, say: it cannot have been changed either
                    pass
            if not found:
                return

    return restore


def make_run(bound, state, tokens, differences, restore):
    """``run(index, source)``: one graded cell, run on the grader's terms; prints its token only if
    it ran to its end and left everything as it found it."""
    _exec, _compile, _sha256, _dict, _list, _len = (bound["exec"], bound["compile"], bound["sha256"], bound["dict"],
                                                    bound["list"], bound["len"])
    builtins, MISSING, GradingIntegrityError = bound["builtins"], bound["MISSING"], bound["GradingIntegrityError"]
    shell, user_ns, trusted = state["shell"], state["user_ns"], state["trusted"]
    builtin_names, sys_hooks = state["builtin_names"], state["sys_hooks"]

    def run(index, source):
        expected = tokens.get(index)
        if expected is None or _sha256(source.encode()).hexdigest() != expected[0]:
            raise GradingIntegrityError(f"graded cell {index} does not match the grader's copy")
        restore()
        for key, value in trusted.items():
            user_ns[key] = value
        user_ns["__builtins__"] = builtins
        shadows = {k: user_ns.pop(k) for k in _list(user_ns) if k in builtin_names}
        before = _dict(user_ns)
        try:
            _exec(_compile(source, f"<graded cell {index}>", "exec"), user_ns)
        finally:
            for key, value in user_ns.items():
                if before.get(key, MISSING) is not value and key not in shell.user_ns_hidden:
                    trusted[key] = value      # a test's own helpers, for the tests after it
            for key, value in shadows.items():
                user_ns.setdefault(key, value)
        changed = [what for what, serious, _fix in differences() if serious]
        if changed:
            restore()
            raise GradingIntegrityError("code run by this test changed what tests rely on: "
                                        + ", ".join(changed[:5]) + (" ..." if _len(changed) > 5 else ""))
        out = sys_hooks["stdout"]
        out.write(f"\n{expected[1]}\n")
        out.flush()

    return run
