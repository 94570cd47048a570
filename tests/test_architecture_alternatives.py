"""The architecture notebook's graded cells, hidden tests included, accept other correct
implementations than the reference: einsum or matmul, loops or vectorised, complex numbers, expand or
repeat_interleave, PyTorch's attention (with enable_gqa) or a hand-written softmax, backward() with
the gradients put back. Each alternative replaces whole answer cells and is graded in-process
(tests/inprocess.py); tests/test_wrong_versions.py shows that the wrong versions lose."""
import pytest

from tests.conftest import SHARED_DATA
from tests.inprocess import InProcessNotebook
from tests.studentwork import Mutant, mutated_source

pytestmark = pytest.mark.skipif(not (SHARED_DATA / "tinyshakespeare.txt").exists(),
                                reason="../shared/data/tinyshakespeare.txt is absent")

# Meta's LLaMA style: complex numbers, computed in float32 whatever x's dtype, cast back.
ROPE_COMPLEX = '''
def rope_cache(seq_len, d_head, base=10000.0, device=None):
    inv_freq = 1.0 / (base ** (torch.arange(0, d_head, 2, device=device).float() / d_head))
    angles = torch.einsum("p,f->pf", torch.arange(seq_len, device=device).float(), inv_freq)
    return angles.cos(), angles.sin()


def apply_rope(x, cos, sin):
    T = x.shape[-2]
    z = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2).contiguous())
    rotated = torch.view_as_real(z * torch.complex(cos[:T].float(), sin[:T].float()))
    return rotated.flatten(-2).type_as(x)
'''

# A loop over the pairs, writing into a clone; angles from exp and log.
ROPE_LOOP = '''
def rope_cache(seq_len, d_head, base=10000.0, device=None):
    cos = torch.empty(seq_len, d_head // 2, device=device)
    sin = torch.empty(seq_len, d_head // 2, device=device)
    p = torch.arange(seq_len, dtype=torch.float64, device=device)
    for i in range(d_head // 2):
        theta = math.exp(-2 * i / d_head * math.log(base))
        cos[:, i] = torch.cos(p * theta)
        sin[:, i] = torch.sin(p * theta)
    return cos, sin


def apply_rope(x, cos, sin):
    out = x.clone()
    T = x.shape[-2]
    for i in range(x.shape[-1] // 2):
        a, b = x[..., 2 * i], x[..., 2 * i + 1]
        c, s = cos[:T, i], sin[:T, i]
        out[..., 2 * i] = a * c - b * s
        out[..., 2 * i + 1] = a * s + b * c
    return out
'''

SWIGLU_EINSUM = '''
class SwiGLU(nn.Module):
    def __init__(self, d_model, d_hidden):
        super().__init__()
        self.w_gate = nn.Linear(d_model, d_hidden, bias=False)
        self.w_up = nn.Linear(d_model, d_hidden, bias=False)
        self.w_down = nn.Linear(d_hidden, d_model, bias=False)

    def forward(self, x):
        gate = torch.einsum("...d,hd->...h", x, self.w_gate.weight)
        up = torch.einsum("...d,hd->...h", x, self.w_up.weight)
        return torch.einsum("...h,dh->...d", gate * torch.sigmoid(gate) * up, self.w_down.weight)
'''

# A hand-written softmax with a tril mask, KV heads shared through expand and reshape, einsum scores.
GQA_MANUAL = '''
class GroupedQueryAttention(nn.Module):
    def __init__(self, d_model, n_heads, n_kv_heads, rope=True):
        super().__init__()
        self.n_heads, self.n_kv_heads, self.rope = n_heads, n_kv_heads, rope
        self.d_head = d_model // n_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=False)
        self.k_proj = nn.Linear(d_model, n_kv_heads * self.d_head, bias=False)
        self.v_proj = nn.Linear(d_model, n_kv_heads * self.d_head, bias=False)
        self.o_proj = nn.Linear(d_model, d_model, bias=False)

    def forward(self, x):
        B, T, C = x.shape
        g = self.n_heads // self.n_kv_heads
        q = self.q_proj(x).reshape(B, T, self.n_heads, self.d_head).permute(0, 2, 1, 3)
        k = self.k_proj(x).reshape(B, T, self.n_kv_heads, self.d_head).permute(0, 2, 1, 3)
        v = self.v_proj(x).reshape(B, T, self.n_kv_heads, self.d_head).permute(0, 2, 1, 3)
        if self.rope:
            cos, sin = rope_cache(T, self.d_head, device=x.device)
            q = apply_rope(q, cos, sin)
            k = apply_rope(k, cos, sin)
        k = k[:, :, None].expand(B, self.n_kv_heads, g, T, self.d_head).reshape(B, self.n_heads, T, self.d_head)
        v = v[:, :, None].expand(B, self.n_kv_heads, g, T, self.d_head).reshape(B, self.n_heads, T, self.d_head)
        scores = torch.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(self.d_head)
        allowed = torch.tril(torch.ones(T, T, dtype=torch.bool, device=x.device))
        weights = scores.masked_fill(~allowed, float("-inf")).softmax(dim=-1)
        out = torch.einsum("bhqk,bhkd->bhqd", weights, v)
        return self.o_proj(out.permute(0, 2, 1, 3).reshape(B, T, C))
'''

# PyTorch's attention does the sharing itself (enable_gqa); the tables are made once, in __init__.
GQA_ENABLE_GQA = '''
class GroupedQueryAttention(nn.Module):
    def __init__(self, d_model, n_heads, n_kv_heads, rope=True):
        super().__init__()
        self.n_heads, self.n_kv_heads, self.rope = n_heads, n_kv_heads, rope
        self.d_head = d_model // n_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=False)
        self.k_proj = nn.Linear(d_model, n_kv_heads * self.d_head, bias=False)
        self.v_proj = nn.Linear(d_model, n_kv_heads * self.d_head, bias=False)
        self.o_proj = nn.Linear(d_model, d_model, bias=False)

    def forward(self, x):
        B, T, C = x.shape
        q = self.q_proj(x).unflatten(-1, (self.n_heads, self.d_head)).transpose(1, 2)
        k = self.k_proj(x).unflatten(-1, (self.n_kv_heads, self.d_head)).transpose(1, 2)
        v = self.v_proj(x).unflatten(-1, (self.n_kv_heads, self.d_head)).transpose(1, 2)
        if self.rope:
            cos, sin = rope_cache(512, self.d_head, device=x.device)
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        return self.o_proj(out.transpose(1, 2).flatten(2))
'''

TENSOR_PARALLEL_OTHER = '''
import functools


def column_parallel_linear(x, weight_shards, bias_shards):
    outputs = []
    for w, b in zip(weight_shards, bias_shards):
        outputs.append(F.linear(x, w, b))
    return outputs


def row_parallel_linear(x_shards, weight_shards, bias):
    partial = [torch.einsum("...i,oi->...o", xs, ws) for xs, ws in zip(x_shards, weight_shards)]
    return functools.reduce(torch.add, partial) + bias


def tensor_parallel_mlp(x, w1_shards, b1_shards, w2_shards, b2):
    total = 0
    for w1, b1, w2 in zip(w1_shards, b1_shards, w2_shards):
        total = total + F.gelu(x @ w1.T + b1) @ w2.T
    return total + b2
'''

# backward(), reading .grad, and the gradients put back as they were.
DATA_PARALLEL_BACKWARD = '''
def data_parallel_gradients(model, loss_fn, batches):
    saved = {name: p.grad for name, p in model.named_parameters()}
    sums = {name: torch.zeros_like(p) for name, p in model.named_parameters()}
    for batch in batches:
        for p in model.parameters():
            p.grad = None
        loss_fn(model, batch).backward()
        for name, p in model.named_parameters():
            if p.grad is not None:
                sums[name] += p.grad
    for name, p in model.named_parameters():
        p.grad = saved[name]
    return {name: s / len(batches) for name, s in sums.items()}
'''

PIPELINE_OTHER = '''
def pipeline_bubble_fraction(n_stages, n_microbatches):
    slots = n_microbatches + n_stages - 1
    return 1 - n_microbatches / slots
'''

ZERO_OTHER = '''
def zero_memory_per_gpu(n_params, n_gpus, stage):
    sharded = {0: 0, 1: 12, 2: 14, 3: 16}[stage]       # bytes per parameter that are partitioned
    return (16 - sharded) * n_params + sharded * n_params // n_gpus
'''

ALTERNATIVES = {
    "rope_complex_float32": {"rope": ROPE_COMPLEX},
    "rope_loops": {"rope": ROPE_LOOP},
    "swiglu_einsum": {"swiglu": SWIGLU_EINSUM},
    "gqa_manual_softmax_expand": {"gqa": GQA_MANUAL},
    "gqa_enable_gqa_long_tables": {"gqa": GQA_ENABLE_GQA},
    "tensor_parallel_loops_einsum": {"tensor_parallel": TENSOR_PARALLEL_OTHER},
    "data_parallel_backward_restored": {"data_parallel": DATA_PARALLEL_BACKWARD},
    "pipeline_one_minus_busy": {"pipeline": PIPELINE_OTHER},
    "zero_table_floor_division": {"zero": ZERO_OTHER},
    # all of them at once: the alternatives must also work with each other
    "everything_at_once": {"rope": ROPE_COMPLEX, "swiglu": SWIGLU_EINSUM, "gqa": GQA_MANUAL,
                           "tensor_parallel": TENSOR_PARALLEL_OTHER, "data_parallel": DATA_PARALLEL_BACKWARD,
                           "pipeline": PIPELINE_OTHER, "zero": ZERO_OTHER},
}


def replacing(cells: dict[str, str]) -> Mutant:
    """A 'wrong version' that swaps whole answer cells for other code."""
    sources = {c.metadata["nbgrader"]["grade_id"]: c.source for c in mutated_source("architecture").cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    return Mutant([(sources[grade_id], code.strip() + "\n") for grade_id, code in cells.items()])


@pytest.fixture(scope="module")
def notebook():
    return InProcessNotebook("architecture")


@pytest.mark.parametrize("name", ALTERNATIVES)
def test_other_correct_implementations_earn_every_point(notebook, name):
    outcome = notebook.grade(replacing(ALTERNATIVES[name]))
    assert not outcome.failed, outcome.failed
