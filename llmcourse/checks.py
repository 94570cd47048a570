"""Visible checks that teach: when an answer is wrong they say how, and guess why.

A check compares a student's tensor with an expected one that the notebook states (a worked
example, or PyTorch's own operator), never with a hidden reference. On a mismatch it reports the
first thing that is off (shape, dtype, NaNs, how many values agree) and any hint whose typical
mistake reproduces the student's answer, e.g. ``("scores are sqrt(d) too large: did you scale?",
lambda expected: expected * d ** 0.5)``.

Hidden tests pass every value a student's code returns through ``genuine`` before comparing it:
it must be made of plain types only (an exact ``torch.Tensor``, not a subclass; int, float, str,
tuple, list, dict...), and no torch function or dispatch mode may be active. An object whose
``__eq__`` or ``__bool__`` always says yes, or a tensor subclass that forges the results of
``torch.isclose``, fails there instead of passing the comparison.
"""
from collections import Counter, OrderedDict, defaultdict
from typing import Callable, Iterable

import torch

Hint = tuple[str, Callable[[torch.Tensor], torch.Tensor]]


class CheckFailed(AssertionError):
    """A visible check found a wrong answer; the message says what is off."""


_PLAIN_TENSORS = (torch.Tensor, torch.nn.Parameter)
_PLAIN_SCALARS = (bool, int, float, complex, str, bytes, bytearray, type(None), torch.dtype, torch.device)
_PLAIN_SEQUENCES = (tuple, list, set, frozenset, torch.Size)
_PLAIN_MAPPINGS = (dict, Counter, OrderedDict, defaultdict)   # the standard library's own dicts
try:
    import numpy as np
    # NumPy's own array and scalar types (float64, int32, bool_...), never a subclass of them.
    _NUMPY_TYPES = frozenset({np.ndarray, *(t for t in np.sctypeDict.values() if t.__module__ == "numpy")})
except ImportError:   # numpy is optional here
    _NUMPY_TYPES = frozenset()


def _not_genuine(value, depth: int = 0) -> str | None:
    """Why ``value`` is not made of plain types only, or None if it is."""
    kind = type(value)
    if kind in _PLAIN_TENSORS or kind in _PLAIN_SCALARS:
        return None
    if kind in _NUMPY_TYPES:
        return "numpy array of Python objects" if getattr(value, "dtype", None) == object else None
    if depth < 8 and kind in _PLAIN_SEQUENCES:
        return next((why for why in (_not_genuine(v, depth + 1) for v in value) if why), None)
    if depth < 8 and kind in _PLAIN_MAPPINGS:
        return next((why for why in (_not_genuine(v, depth + 1) for item in value.items() for v in item) if why), None)
    return f"{kind.__module__}.{kind.__qualname__}"


def genuine(value, name: str = "the answer"):
    """``value`` itself, once it is known to be made of plain types that compare honestly."""
    why = _not_genuine(value)
    if why:
        raise CheckFailed(f"{name}: expected plain values (a torch.Tensor, numbers, tuples...), got a {why}")
    if torch._C._len_torch_function_stack() or torch._C._len_torch_dispatch_stack():
        raise CheckFailed(f"{name}: a torch function or dispatch mode is active while the answer is checked")
    return value


# Results this small are printed whole in a failed check: seeing them beats any summary.
SHOW_VALUES_UP_TO = 12


def _values(tensor: torch.Tensor):
    """The tensor as nested lists, floats rounded to 4 significant digits (a number for a 0-d one)."""
    values = tensor.detach().cpu().tolist()

    def rounded(v):
        return [rounded(x) for x in v] if isinstance(v, list) else float(f"{v:.4g}") if isinstance(v, float) else v
    return rounded(values)


def _matches(actual: torch.Tensor, candidate: torch.Tensor, atol: float, rtol: float) -> bool:
    return (candidate.shape == actual.shape
            and torch.allclose(actual.double(), candidate.double(), atol=atol, rtol=rtol, equal_nan=True))


def check_close(actual, expected, name: str, *, atol: float = 1e-5, rtol: float = 1e-4,
                hints: Iterable[Hint] = ()) -> None:
    """Assert that ``actual`` equals ``expected`` within tolerance, explaining any difference."""
    if type(actual) not in _PLAIN_TENSORS:
        raise CheckFailed(f"{name}: expected a torch.Tensor, got {type(actual).__name__}"
                          + (" (did you forget to return?)" if actual is None else "")
                          + (" (a subclass: return a plain tensor)" if isinstance(actual, torch.Tensor) else ""))
    expected = torch.as_tensor(expected).to(actual.device)
    problems = []
    if actual.shape != expected.shape:
        problems.append(f"shape is {tuple(actual.shape)}, expected {tuple(expected.shape)}")
    elif actual.dtype == torch.bool or expected.dtype == torch.bool:
        if actual.dtype != expected.dtype:
            problems.append(f"dtype is {actual.dtype}, expected {expected.dtype}")
        elif not torch.equal(actual, expected):
            wrong = (actual != expected).sum().item()
            problems.append(f"{wrong} of {actual.numel()} entries differ")
    else:
        if torch.isnan(actual).any() and not torch.isnan(expected).any():
            rows = torch.isnan(actual).reshape(-1, actual.shape[-1]).all(-1).sum().item() if actual.dim() else 0
            problems.append("contains NaN" + (f" ({rows} whole rows of NaN: are all keys masked in those rows?)"
                                              if rows else ""))
        close = torch.isclose(actual.double(), expected.double(), atol=atol, rtol=rtol)
        if not close.all():
            share = 100.0 * close.float().mean().item()
            worst = (actual.double() - expected.double()).abs().nan_to_num(float("inf")).max().item()
            problems.append(f"{share:.1f}% of values are correct; the largest difference is {worst:.3g}")
    if not problems:
        return
    diagnosis = [label for label, mistake in hints if _matches(actual, mistake(expected), atol, rtol)]
    message = f"{name}: " + "; ".join(problems)
    if actual.numel() <= SHOW_VALUES_UP_TO and expected.numel() <= SHOW_VALUES_UP_TO:
        message += f"\n  got:      {_values(actual)}\n  expected: {_values(expected)}"
    if diagnosis:
        message += "\n  hint: " + "\n  hint: ".join(diagnosis)
    raise CheckFailed(message)


def check_shape(actual, shape: tuple, name: str) -> None:
    """Assert a tensor's shape, naming the dimension that is off."""
    if type(actual) not in _PLAIN_TENSORS:
        raise CheckFailed(f"{name}: expected a torch.Tensor, got {type(actual).__name__}")
    if tuple(actual.shape) != tuple(shape):
        raise CheckFailed(f"{name}: shape is {tuple(actual.shape)}, expected {tuple(shape)}")


def passed(name: str) -> None:
    print(f"✓ {name}")
