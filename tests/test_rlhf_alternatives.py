"""The rlhf notebook's graded cells (hidden tests included) accept other correct implementations
than the reference: run in-process, with the source's answers swapped for differently written but
correct ones (softplus or an explicit stable formula, gather or a loop or the head on every position,
one-hot or cross-entropy, argmax or a sort). Wrong versions are in tests/mutants/rlhf.py, graded by
tests/test_wrong_versions.py; here the reference also passes every graded cell without a warning."""

import matplotlib

matplotlib.use("Agg")

import nbformat
import pytest

from tests.conftest import REPO
from tests.inprocess import failed_tests, warnings_or_failures_of_the_reference

SOURCE = nbformat.read(REPO / "solutions" / "rlhf" / "rlhf.ipynb", as_version=4)
CELLS = {c.metadata["nbgrader"]["grade_id"]: c.source for c in SOURCE.cells if "nbgrader" in c.metadata}
# The cells a graded cell may rely on, besides the answers: the setup and the visible checks.
GIVEN = {"setup"} | {g for g in CELLS if g.startswith("check_")}

PREFERENCE_SOFTPLUS = '''
def preference_loss(r_chosen, r_rejected):
    return F.softplus(r_rejected - r_chosen).mean()
'''
PREFERENCE_BY_HAND = '''
def preference_loss(r_chosen, r_rejected):
    m = r_chosen - r_rejected            # -log sigmoid(m) = max(-m, 0) + log(1 + exp(-|m|))
    return (torch.clamp(-m, min=0) + torch.log1p(torch.exp(-m.abs()))).sum() / m.numel()
'''
REWARD_GATHER = '''
class RewardModel(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.body = backbone
        self.head = nn.Linear(backbone.ln_out.normalized_shape[0], 1)

    def forward(self, tokens, lengths):
        h = self.body.hidden_states(tokens)
        index = (lengths - 1).view(-1, 1, 1).expand(-1, 1, h.shape[-1])
        return self.head(h.gather(1, index)[:, 0, :])[:, 0]
'''
REWARD_HEAD_EVERYWHERE_LOOP = '''
class RewardModel(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(backbone.config.d_model, 1)

    def forward(self, tokens, lengths):
        per_position = self.head(self.backbone.hidden_states(tokens)).squeeze(-1)   # (batch, T)
        return torch.stack([per_position[b, int(n) - 1] for b, n in enumerate(lengths)])
'''
LOGPROB_ONE_HOT = '''
def sequence_logprob(model, tokens, response_mask):
    logits = model(tokens)[0]
    logp = F.log_softmax(logits, dim=-1)[:, :-1]
    picked = (logp * F.one_hot(tokens[:, 1:], logits.shape[-1]).to(logp.dtype)).sum(-1)
    return torch.where(response_mask[:, 1:], picked, torch.zeros_like(picked)).sum(-1)
'''
LOGPROB_CROSS_ENTROPY_LOOP = '''
def sequence_logprob(model, tokens, response_mask):
    logits, _ = model(tokens)
    out = []
    for b in range(tokens.shape[0]):
        positions = response_mask[b].nonzero().flatten()
        nll = F.cross_entropy(logits[b, positions - 1], tokens[b, positions], reduction="sum")
        out.append(-nll)
    return torch.stack(out)
'''
DPO_SOFTPLUS_NO_GRAD = '''
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    logits = (policy_chosen_logps - policy_rejected_logps) - (ref_chosen_logps - ref_rejected_logps)
    loss = F.softplus(-beta * logits).mean()
    with torch.no_grad():
        chosen = beta * (policy_chosen_logps - ref_chosen_logps)
        rejected = beta * (policy_rejected_logps - ref_rejected_logps)
    return loss, chosen, rejected
'''
BEST_ARGMAX = '''
def best_of_n(candidates, rewards):
    return candidates[int(torch.argmax(rewards).item())]
'''
BEST_STABLE_SORT = '''
def best_of_n(candidates, rewards):
    order = sorted(range(len(candidates)), key=lambda i: -float(rewards[i]))   # sorted() is stable
    return candidates[order[0]]
'''

CORRECT = {
    "preference_softplus": {"preference_loss": PREFERENCE_SOFTPLUS},
    "preference_by_hand": {"preference_loss": PREFERENCE_BY_HAND},
    "reward_gather_other_attribute_names": {"reward_model": REWARD_GATHER},
    "reward_head_everywhere_then_a_loop": {"reward_model": REWARD_HEAD_EVERYWHERE_LOOP},
    "logprob_one_hot": {"sequence_logprob": LOGPROB_ONE_HOT},
    "logprob_cross_entropy_per_row": {"sequence_logprob": LOGPROB_CROSS_ENTROPY_LOOP},
    "dpo_softplus_rewards_under_no_grad": {"dpo_loss": DPO_SOFTPLUS_NO_GRAD},
    "best_argmax": {"best_of_n": BEST_ARGMAX},
    "best_stable_sort": {"best_of_n": BEST_STABLE_SORT},
}


@pytest.mark.parametrize("name", list(CORRECT))
def test_other_correct_version_earns_every_point(name, capsys):
    failed = failed_tests(SOURCE, CORRECT[name], given=GIVEN)
    assert not failed, failed


def test_reference_passes_every_graded_cell_without_a_warning(capsys):
    failed = warnings_or_failures_of_the_reference(SOURCE, given=GIVEN)
    assert not failed, failed
