"""The reasoning notebook's graded cells (hidden tests included) accept other correct implementations
than the reference: run in-process, with the source's answers swapped for differently written but
correct ones (a regular expression or try/except in the verifier; Gumbel-max sampling with a float
mask and zero padding; a loop over groups; a loop over sequences with torch.where; a training loop
with its own log-probabilities, AdamW and a state-dict reference). Wrong versions are in
tests/mutants/reasoning.py, graded by tests/test_wrong_versions.py; here the reference also passes
every graded cell without a warning. Alternatives are grouped so that each run covers several
exercises (each run replays the notebook's checks and hidden tests: a few seconds)."""

import matplotlib

matplotlib.use("Agg")

import nbformat
import pytest

from tests.conftest import REPO
from tests.inprocess import failed_tests, warnings_or_failures_of_the_reference

SOURCE = nbformat.read(REPO / "solutions" / "reasoning" / "reasoning.ipynb", as_version=4)
CELLS = {c.metadata["nbgrader"]["grade_id"]: c.source for c in SOURCE.cells if "nbgrader" in c.metadata}
GIVEN = {"setup", "data", "grpo_config"} | {g for g in CELLS if g.startswith("check_")}

VERIFY_REGEX = '''
import re

def verify(completion, answer):
    match = re.match(r"([0-9]{3})\\.", completion)
    return float(match is not None and int(match.group(1)) == answer)
'''
VERIFY_TRY = '''
def verify(completion, answer):
    if "." not in completion:
        return 0.0
    head = completion.split(".")[0]
    try:
        value = int(head)
    except ValueError:
        return 0.0
    if len(head) != 3 or not head.isascii() or not head.isdigit():
        return 0.0
    return 1.0 if value == answer else 0.0
'''
SAMPLE_GUMBEL = '''
def sample_group(model, prompt, group_size, max_new_tokens, temperature=1.0, generator=None):
    with torch.no_grad():
        seq = prompt.unsqueeze(0).expand(group_size, -1).clone()
        alive = torch.ones(group_size, device=prompt.device)
        toks = torch.zeros(group_size, max_new_tokens, dtype=torch.long, device=prompt.device)
        lps = torch.zeros(group_size, max_new_tokens, device=prompt.device)
        msk = torch.zeros(group_size, max_new_tokens, device=prompt.device)
        for t in range(max_new_tokens):
            logp = F.log_softmax(model(seq)[0][:, -1, :] / temperature, dim=-1)
            u = torch.rand(logp.shape, generator=generator, device=logp.device).clamp_min(1e-20)
            choice = torch.argmax(logp - torch.log(-torch.log(u)), dim=-1)
            msk[:, t] = alive
            toks[:, t] = choice * alive.long()                 # padding with 0, not END
            lps[:, t] = logp[torch.arange(group_size), choice] * alive
            alive = alive * (choice != END_ID).float()
            seq = torch.cat([seq, choice.unsqueeze(1)], dim=1)
    return toks, lps, msk
'''
ADVANTAGES_LOOP = '''
def group_advantages(rewards, eps=1e-6):
    out = torch.zeros_like(rewards)
    for i in range(rewards.shape[0]):
        row = rewards[i]
        if row.numel() > 1:
            out[i] = (row - row.mean()) / (row.std() + eps)
    return out
'''
LOSS_PER_SEQUENCE = '''
def grpo_loss(logprobs, old_logprobs, ref_logprobs, advantages, mask, clip_eps=0.2, beta=0.04):
    total = logprobs.sum() * 0.0
    for i in range(logprobs.shape[0]):
        real = mask[i].bool()
        if not real.any():
            continue
        new, old, ref = logprobs[i][real], old_logprobs[i][real], ref_logprobs[i][real]
        ratio = torch.exp(new) / torch.exp(old)
        a = advantages[i]
        objective = -torch.max(-ratio * a, -torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps) * a)
        kl = torch.exp(ref) / torch.exp(new) - (ref - new) - 1
        total = total + (objective - beta * kl).mean()
    return -total / logprobs.shape[0]
'''
TRAIN_OWN_LOOP = '''
from llmcourse.pretrained import GPT as _OwnGPT

def _own_logprobs(m, prompts, tokens, temperature):
    seq = torch.cat([prompts, tokens], 1)
    logits = m(seq[:, :-1])[0][:, -tokens.shape[1]:] / temperature
    return -F.cross_entropy(logits.transpose(1, 2), tokens, reduction="none")

def train_grpo(model, train_problems, held_out, config=GRPOConfig()):
    device_ = next(model.parameters()).device
    frozen = _OwnGPT(model.config).to(device_)
    frozen.load_state_dict(model.state_dict())
    for p in frozen.parameters():
        p.requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0)
    rng = torch.Generator().manual_seed(1000 + config.seed)
    history = {"reward": [], "kl": [], "accuracy": [], "accuracy_at": []}
    problems_eval = held_out[:config.eval_problems]
    for it in range(config.iterations + 1):
        if it % config.eval_every == 0 or it == config.iterations:
            history["accuracy_at"].append(it)
            history["accuracy"].append(greedy_accuracy(model, problems_eval))
        if it == config.iterations:
            break
        chosen = [train_problems[int(j)] for j in torch.randint(0, len(train_problems), (config.prompts_per_batch,), generator=rng)]
        rows, olds, masks, rewards = [], [], [], []
        for a, b in chosen:
            p = arithmetic.encode_prompts([(a, b)], device_)[0]
            t, lp, mk = sample_group(model, p, config.group_size, config.max_new_tokens, config.temperature)
            rows.append(t); olds.append(lp); masks.append(mk.float())
            rewards.append([verify(tok.decode(r), a + b) for r in t.tolist()])
        tokens, old, mask = torch.cat(rows), torch.cat(olds), torch.cat(masks)
        adv = group_advantages(torch.tensor(rewards, device=device_)).reshape(-1)
        prompts = arithmetic.encode_prompts([pb for pb in chosen for _ in range(config.group_size)], device_)
        with torch.no_grad():
            ref = _own_logprobs(frozen, prompts, tokens, config.temperature)
        for _ in range(config.steps_per_batch):
            new = _own_logprobs(model, prompts, tokens, config.temperature)
            loss = grpo_loss(new, old, ref, adv, mask, config.clip_eps, config.beta)
            opt.zero_grad()
            loss.backward()
            opt.step()
        d = (ref - new).detach()
        history["kl"].append(float(((torch.exp(d) - d - 1) * mask).sum() / mask.sum()))
        history["reward"].append(sum(map(sum, rewards)) / (len(rewards) * config.group_size))
    return model, history
'''

CORRECT = {
    "verify_regex_sample_gumbel_advantages_loop": {"verify": VERIFY_REGEX, "sample_group": SAMPLE_GUMBEL,
                                                    "group_advantages": ADVANTAGES_LOOP},
    "verify_try_loss_per_sequence_own_training_loop": {"verify": VERIFY_TRY, "grpo_loss": LOSS_PER_SEQUENCE,
                                                        "train_grpo": TRAIN_OWN_LOOP},
}


@pytest.mark.parametrize("name", list(CORRECT))
def test_other_correct_version_earns_every_point(name, capsys):
    failed = failed_tests(SOURCE, CORRECT[name], given=GIVEN)
    assert not failed, failed


def test_reference_passes_every_graded_cell_without_a_warning(capsys):
    failed = warnings_or_failures_of_the_reference(SOURCE, given=GIVEN)
    assert not failed, failed
