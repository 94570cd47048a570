"""The backprop notebook's graded cells (hidden tests included) accept other correct implementations
than the reference: run in-process, with the source's answers swapped for differently written but
correct ones (another topological sort, tanh through exp, a step-by-step LayerNorm backward, einsum,
an in-place finite difference...). Wrong versions are in tests/mutants/backprop.py, graded by
tests/test_wrong_versions.py; here the reference also passes every graded cell without a warning."""

import matplotlib

matplotlib.use("Agg")

import nbformat
import pytest

from tests.conftest import REPO
from tests.inprocess import failed_tests, warnings_or_failures_of_the_reference

SOURCE = nbformat.read(REPO / "solutions" / "backprop" / "backprop.ipynb", as_version=4)

# Kahn's algorithm (count each node's consumers, release a node when all have run); _prev as a set;
# tanh through exp; a / b and a - b with derivatives of their own; numbers wrapped on the left.
VALUE_KAHN = '''
class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = set(_children)
        self._op = _op
        self._backward = lambda: None

    @staticmethod
    def _wrap(x):
        return x if isinstance(x, Value) else Value(x)

    def sin(self):
        out = Value(math.sin(self.data), (self,), "sin")
        def _backward():
            self.grad += math.cos(self.data) * out.grad
        out._backward = _backward
        return out

    def __add__(self, other):
        other = Value._wrap(other)
        out = Value(self.data + other.data, (self, other), "+")
        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __sub__(self, other):
        other = Value._wrap(other)
        out = Value(self.data - other.data, (self, other), "-")
        def _backward():
            self.grad += out.grad
            other.grad -= out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = Value._wrap(other)
        out = Value(self.data * other.data, (self, other), "*")
        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __truediv__(self, other):
        other = Value._wrap(other)
        out = Value(self.data / other.data, (self, other), "/")
        def _backward():
            self.grad += out.grad / other.data
            other.grad -= self.data / other.data ** 2 * out.grad
        out._backward = _backward
        return out

    def __pow__(self, n):
        out = Value(self.data ** n, (self,), "pow")
        def _backward():
            self.grad += n * self.data ** (n - 1) * out.grad
        out._backward = _backward
        return out

    def __neg__(self):
        out = Value(-self.data, (self,), "neg")
        def _backward():
            self.grad -= out.grad
        out._backward = _backward
        return out

    def __radd__(self, other):
        return Value._wrap(other) + self

    def __rsub__(self, other):
        return Value._wrap(other) - self

    def __rmul__(self, other):
        return Value._wrap(other) * self

    def __rtruediv__(self, other):
        return Value._wrap(other) / self

    def exp(self):
        e = math.exp(self.data)
        out = Value(e, (self,), "exp")
        def _backward():
            self.grad += e * out.grad
        out._backward = _backward
        return out

    def log(self):
        out = Value(math.log(self.data), (self,), "log")
        def _backward():
            self.grad += (1.0 / self.data) * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        e2 = math.exp(2 * self.data)
        t = (e2 - 1) / (e2 + 1)
        out = Value(t, (self,), "tanh")
        def _backward():
            self.grad += (1 - t * t) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = Value(self.data if self.data > 0 else 0.0, (self,), "relu")
        def _backward():
            self.grad += out.grad if out.data > 0 else 0.0
        out._backward = _backward
        return out

    def backward(self):
        nodes, seen, todo = [], {id(self)}, [self]
        while todo:
            node = todo.pop()
            nodes.append(node)
            for child in node._prev:
                if id(child) not in seen:
                    seen.add(id(child))
                    todo.append(child)
        consumers = {id(n): 0 for n in nodes}
        for node in nodes:
            for child in node._prev:
                consumers[id(child)] += 1
        self.grad = 1.0
        ready = [self]
        while ready:
            node = ready.pop()
            node._backward()
            for child in node._prev:
                consumers[id(child)] -= 1
                if consumers[id(child)] == 0:
                    ready.append(child)
'''

# Every Value numbered at birth: inputs are always born before the nodes made from them, so sorting
# the reachable nodes by number is a topological order. tanh's derivative as 1 / cosh**2.
VALUE_BIRTH_ORDER = '''
import itertools

class Value:
    _births = itertools.count()

    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._backward = lambda: None
        self._born = next(Value._births)

    def _unary(self, data, local, op):
        out = Value(data, (self,), op)
        def _backward():
            self.grad += local * out.grad
        out._backward = _backward
        return out

    def sin(self):
        return self._unary(math.sin(self.data), math.cos(self.data), "sin")

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")
        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")
        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, n):
        return self._unary(self.data ** n, n * self.data ** (n - 1), f"**{n}")

    def exp(self):
        return self._unary(math.exp(self.data), math.exp(self.data), "exp")

    def log(self):
        return self._unary(math.log(self.data), 1 / self.data, "log")

    def tanh(self):
        return self._unary(math.tanh(self.data), 1 / math.cosh(self.data) ** 2, "tanh")

    def relu(self):
        return self._unary(max(0.0, self.data), float(self.data > 0), "relu")

    __radd__ = __add__
    __rmul__ = __mul__

    def __neg__(self):
        return -1 * self

    def __sub__(self, other):
        return self + -1 * other

    def __rsub__(self, other):
        return -1 * self + other

    def __truediv__(self, other):
        return self * (other ** -1 if isinstance(other, Value) else 1 / other)

    def __rtruediv__(self, other):
        return self ** -1 * other

    def backward(self):
        reachable, stack = {id(self): self}, [self]
        while stack:
            for child in stack.pop()._prev:
                if id(child) not in reachable:
                    reachable[id(child)] = child
                    stack.append(child)
        self.grad = 1.0
        for node in sorted(reachable.values(), key=lambda n: n._born, reverse=True):
            node._backward()
'''

# Perturbing x in place through .item() and putting each entry back; the result built from a list.
NUMERICAL_IN_PLACE = '''
def numerical_gradient(f, x, eps=1e-6):
    x = x.clone()
    flat = x.view(-1)
    estimates = []
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + eps
        up = f(x).item()
        flat[i] = old - eps
        down = f(x).item()
        flat[i] = old
        estimates.append((up - down) / (2 * eps))
    return torch.tensor(estimates, dtype=x.dtype, device=x.device).reshape(x.shape)
'''

# Steps along the rows of an identity matrix, reshaped to x's shape.
NUMERICAL_BASIS = '''
def numerical_gradient(f, x, eps=1e-6):
    basis = torch.eye(x.numel(), dtype=x.dtype, device=x.device).reshape(x.numel(), *x.shape) * eps
    values = [f(x + e) - f(x - e) for e in basis]
    return (torch.stack(values) / (2 * eps)).reshape(x.shape)
'''

LINEAR_EINSUM = '''
def linear_backward(x, W, dout):
    return (torch.einsum("bo,oi->bi", dout, W), torch.einsum("bo,bi->oi", dout, x), torch.einsum("bo->o", dout))
'''

LINEAR_LOOP = '''
def linear_backward(x, W, dout):
    dx, dW, db = torch.zeros_like(x), torch.zeros_like(W), torch.zeros(W.shape[0], dtype=W.dtype, device=W.device)
    for k in range(x.shape[0]):
        dx[k] = W.T @ dout[k]
        dW += torch.outer(dout[k], x[k])
        db += dout[k]
    return [dx, dW, db]
'''

TANH_CE_INDEXING = '''
def tanh_backward(out, dout):
    return dout - dout * out * out


def cross_entropy_backward(logits, targets):
    shifted = logits - logits.max(dim=1, keepdim=True).values
    probs = shifted.exp() / shifted.exp().sum(dim=1, keepdim=True)
    probs[torch.arange(len(targets)), targets] -= 1
    return probs / len(targets)
'''

TANH_CE_LOG_SOFTMAX = '''
def tanh_backward(out, dout):
    return (1 - out.pow(2)) * dout


def cross_entropy_backward(logits, targets):
    grad = F.log_softmax(logits, dim=-1).exp()
    return grad.scatter_add(1, targets[:, None], -torch.ones_like(grad[:, :1])) / logits.shape[0]
'''

# The derivation one intermediate at a time: d(1/s), dvar, the centred inputs, then the mean.
LAYERNORM_STEP_BY_STEP = '''
def layernorm_backward(x, gamma, eps, dout):
    D = x.shape[-1]
    centred = x - x.mean(-1, keepdim=True)
    var = centred.pow(2).sum(-1, keepdim=True) / D
    inv = (var + eps) ** -0.5
    xhat = centred * inv
    dxhat = dout * gamma
    dinv = (dxhat * centred).sum(-1, keepdim=True)
    dvar = dinv * -0.5 * (var + eps) ** -1.5
    dcentred = dxhat * inv + dvar * 2 * centred / D
    dx = dcentred - dcentred.mean(-1, keepdim=True)
    return dx, (dout * xhat).sum(0), dout.sum(0)
'''

LAYERNORM_RSQRT = '''
def layernorm_backward(x, gamma, eps, dout):
    var, mean = torch.var_mean(x, dim=-1, keepdim=True, correction=0)
    rstd = torch.rsqrt(var + eps)
    xhat = (x - mean) * rstd
    g = dout * gamma
    D = x.shape[-1]
    dx = rstd / D * (D * g - g.sum(-1, keepdim=True) - xhat * (g * xhat).sum(-1, keepdim=True))
    return dx, torch.einsum("nd,nd->d", dout, xhat), dout.sum(0)
'''

# Its own forward pass (LayerNorm and the loss by hand), the loss returned as a float.
MLP_BY_HAND = '''
def mlp_loss_and_grads(params, x, targets):
    W1, b1, gamma, beta, W2, b2 = (params[k] for k in ("W1", "b1", "gamma", "beta", "W2", "b2"))
    h = x @ W1.T + b1
    mu = h.mean(1, keepdim=True)
    s = ((h - mu) ** 2).mean(1, keepdim=True).add(LN_EPS).sqrt()
    a = torch.tanh((h - mu) / s * gamma + beta)
    logits = a @ W2.T + b2
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    loss = -log_probs[torch.arange(len(targets)), targets].mean().item()
    da, dW2, db2 = linear_backward(a, W2, cross_entropy_backward(logits, targets))
    dh, dgamma, dbeta = layernorm_backward(h, gamma, LN_EPS, tanh_backward(a, da))
    dW1, db1 = linear_backward(x, W1, dh)[1:]
    return loss, dict(W2=dW2, b2=db2, gamma=dgamma, beta=dbeta, W1=dW1, b1=db1)
'''

CORRECT = {
    "kahn_topological_order_tanh_through_exp": {"value": VALUE_KAHN},
    "birth_order_topological_sort_sech_squared": {"value": VALUE_BIRTH_ORDER},
    "finite_differences_in_place": {"numerical_gradient": NUMERICAL_IN_PLACE},
    "finite_differences_along_a_basis": {"numerical_gradient": NUMERICAL_BASIS},
    "linear_einsum": {"linear_backward": LINEAR_EINSUM},
    "linear_loop_over_the_batch": {"linear_backward": LINEAR_LOOP},
    "tanh_ce_by_indexing": {"tanh_and_cross_entropy": TANH_CE_INDEXING},
    "tanh_ce_log_softmax_scatter": {"tanh_and_cross_entropy": TANH_CE_LOG_SOFTMAX},
    "layernorm_step_by_step": {"layernorm_backward": LAYERNORM_STEP_BY_STEP},
    "layernorm_rsqrt_var_mean": {"layernorm_backward": LAYERNORM_RSQRT},
    "mlp_forward_by_hand": {"mlp_loss_and_grads": MLP_BY_HAND},
}


@pytest.mark.parametrize("name", list(CORRECT))
def test_other_correct_version_earns_every_point(name, capsys):
    failed = failed_tests(SOURCE, CORRECT[name], given={"setup", "given_mlp"})
    assert not failed, failed


def test_reference_passes_every_graded_cell_without_a_warning(capsys):
    failed = warnings_or_failures_of_the_reference(SOURCE, given={"setup", "given_mlp"})
    assert not failed, failed
