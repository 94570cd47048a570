"""The `rlhf` assignment's goals, measured with the notebook's own code (its solution cells are executed
here): the reward model's held-out accuracy against the labeller's ceiling, and DPO's win rate against
the reference on fresh prompts after at most 60 s of CPU training, with the KL from the reference.

    python benchmarks/rlhf_dpo.py                  # the notebook's reward model over 3 seeds, then 60 CPU s of DPO per beta
    python benchmarks/rlhf_dpo.py --rm-seeds 0 --rm-steps 120 --betas 0.1 --dpo-seconds 30 --dpo-lr 3e-5

Goals (issue 19): reward-model accuracy within 5 points of the ceiling; DPO win rate of 70% or more
after 60 s or less of CPU training. The reward model is trained as the notebook trains it (AdamW,
lr 1e-3 decaying linearly to 0, batches of 32 pairs) once per seed, and scored with the notebook's
`reward_accuracy`: its accuracy on the labeller's held-out draws, and its expected accuracy (each pair
counts the labeller's probability of the choice the model makes, the quantity the ceiling is the best
value of). The goal is judged on the mean over the seeds, on both; the lowest seed is printed too.
Then the same reward models are scored on pairs of two samples at one temperature (1.0) of each
validation prompt, which lack the committed pairs' cooler-line shortcut. The win rate is judged by the
labeller's utility on the 200 fresh prompts (one line of the policy against one of the reference per
prompt, a tie counts half); the KL is the mean of log pi(y|x) - log pi_ref(y|x) over the policy's own
lines, in nats. DPO's budget counts the CPU time (`time.process_time`) of its training steps only
(not the evaluations), on whatever threads `set_cpu_threads` leaves (one on a 2-core machine); the
wall time is printed beside it, since on a shared machine the two differ.

Measured with the defaults on the 2-core CPU (one thread, another job on the other core), 2026-12-05,
on the data whose pairs set a line sampled at temperature 0.7 against one at 1.3 (validation ceiling
0.834):
- reward model, 200 steps (about 51 CPU s each), seeds 0, 1, 2: expected accuracy 0.794, 0.791, 0.797,
  mean 0.794, 4.0 points below the ceiling (lowest seed 4.2): met. On the labeller's draws 0.783,
  0.779, 0.795, mean 0.786, 4.8 below: met, though seeds 0 and 1 alone are 5.1 and 5.5 below. Simple
  rules on the validation pairs: "the longer line wins" 0.733, "more words wins" 0.794, the true
  utility 0.838 (ties count half).
- the same reward models on pairs of one temperature: that ceiling 0.791; expected accuracy 0.745,
  0.746, 0.737 (4.6, 4.6, 5.5 below it); "the longer line wins" 0.712, "more words wins" 0.754.
- the first version of the data (two samples at temperature 1 per prompt, ceiling 0.803) gave 0.773,
  0.733, 0.743 on the draws (mean 0.750, 5.3 below: missed), and no learning rate, warm-up, head
  initialisation, weight decay, weight averaging, frozen layers or longer run we tried closed it:
  longer runs overfit the noisy labels (800 steps: 0.749 and 0.712, with training accuracy up to 0.85).
- DPO beta 0.1: step 0 0.482; after 15 CPU s (111 steps) 0.807, KL 2.10; after 60 CPU s (450 steps)
  win rate 0.885, KL 5.98 nats, mean line length 30.0 characters against the reference's 17.6: met.
- DPO beta 0.5: after 15 CPU s (112 steps) 0.733, KL 1.02; after 60 CPU s (435 steps) 0.828, KL 1.92
  nats, line length 30.2: met. DPO wins largely by writing longer lines (more real words per line);
  in the notebook's runs the share of real words also rose, from 77% to 83-84%.
The notebook itself (reward model 200 steps, best-of-n on 32 prompts, DPO 100 steps per beta judged
every 50 steps on 64 prompts) ran its cells in 108 s wall with another job on the other core: the
reward model 58 s, best-of-n 7 s, DPO 40 s. Sampling reruns the whole model for each new character
(the package keeps no cache of keys and values, the `efficiency` assignment's exercise), 3.5 to 5
times slower than a cache would be.
"""
import argparse
import copy
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from solution_cells import solution_namespace  # noqa: E402

DEFINITIONS = ["setup", "data", "preference_loss", "reward_model", "reward_accuracy", "sequence_logprob", "best_of_n", "dpo_loss"]


def reward_model_accuracy(nb, steps, batch, lr, seed):
    """Train a reward model as the notebook does (AdamW, lr decaying linearly to 0) from seed `seed`;
    return its held-out accuracy on the labeller's draws, its expected accuracy (the notebook's
    `reward_accuracy`), its CPU seconds and wall seconds of training, and the model."""
    torch = nb["torch"]
    torch.manual_seed(seed)
    rm = nb["RewardModel"](copy.deepcopy(nb["pretrained"])).to(nb["device"])
    opt = torch.optim.AdamW(rm.parameters(), lr=lr, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1 - k / steps)
    tc, tr, n = nb["train_chosen"], nb["train_rejected"], len(nb["train_pairs"])
    cpu, wall = time.process_time(), time.time()
    for _ in range(steps):
        i = torch.randint(n, (batch,), device=nb["device"])
        loss = nb["preference_loss"](rm(tc["tokens"][i], tc["lengths"][i]), rm(tr["tokens"][i], tr["lengths"][i]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
    cpu, wall = time.process_time() - cpu, time.time() - wall
    acc, expected = nb["reward_accuracy"](rm)
    return acc, expected, cpu, wall, rm.eval()


def same_temperature_pairs(nb, temperature=1.0):
    """Two samples at one temperature for each validation prompt: pairs like best-of-n's candidates,
    without the cooler-line shortcut of the committed pairs. Returns (prompts, a, b, p), p the
    labeller's probability of preferring a."""
    torch, tok, model = nb["torch"], nb["tok"], nb["pretrained"]
    prompts = [p for p, _, _ in nb["val_pairs"]]
    gen = torch.Generator(device=nb["device"]).manual_seed(7)
    a, b = (nb["sample_completions"](model, tok, prompts, temperature=temperature, generator=gen) for _ in range(2))
    p = [nb["preference_probability"](x + y, x + z, nb["vocabulary"]) for x, y, z in zip(prompts, a, b)]
    return prompts, a, b, p


def expected_agreement(prefers_a, p):
    """The expected share of the labeller's draws a judge agrees with (a tie of the judge counts half)."""
    return sum(q if k > 0 else 1 - q if k < 0 else 0.5 for k, q in zip(prefers_a, p)) / len(p)


def same_temperature_report(nb, reward_models):
    """How the reward models, and simple rules, do on pairs sampled at one temperature."""
    torch, tok, device = nb["torch"], nb["tok"], nb["device"]
    prompts, a, b, p = same_temperature_pairs(nb)
    ceiling = sum(max(q, 1 - q) for q in p) / len(p)
    words = nb["words_of"]
    rules = {"the longer line": lambda x: len(x), "the line with more words": lambda x: len(words(x))}
    print(f"same-temperature pairs (two samples at temperature 1 of each of the {len(p):,} validation prompts): "
          f"the labeller's ceiling {ceiling:.3f}")
    for name, f in rules.items():
        sign = [f(x + y) - f(x + z) for x, y, z in zip(prompts, a, b)]
        print(f"    rule '{name} wins': expected agreement {expected_agreement(sign, p):.3f}")
    ta, tb = ({k: v.to(device) for k, v in nb["preference_tensors"](prompts, side, tok).items()} for side in (a, b))
    for seed, rm in reward_models.items():
        with torch.no_grad():
            sign = (rm(ta["tokens"], ta["lengths"]) - rm(tb["tokens"], tb["lengths"])).tolist()
        print(f"    reward model, seed {seed}: expected agreement {expected_agreement(sign, p):.3f} "
              f"({100 * (ceiling - expected_agreement(sign, p)):.1f} points below this ceiling)")


def dpo_run(nb, beta, seconds, batch, lr, evals):
    torch, device, tok = nb["torch"], nb["device"], nb["tok"]
    slp, vocab, utility = nb["sequence_logprob"], nb["vocabulary"], nb["utility"]
    reference = nb["pretrained"].eval()
    prompts = nb["fresh_prompts"]
    tc, tr, n = nb["train_chosen"], nb["train_rejected"], len(nb["train_pairs"])
    with torch.no_grad():
        ref_c = slp(reference, tc["tokens"], tc["response_mask"])
        ref_r = slp(reference, tr["tokens"], tr["response_mask"])
    ref_lines = nb["sample_completions"](reference, tok, prompts, generator=torch.Generator(device=device).manual_seed(1))

    def judge(policy):
        lines = nb["sample_completions"](policy, tok, prompts, generator=torch.Generator(device=device).manual_seed(2))
        gaps = [utility(p + a, vocab) - utility(p + b, vocab) for p, a, b in zip(prompts, lines, ref_lines)]
        t = {k: v.to(device) for k, v in nb["preference_tensors"](prompts, lines, tok).items()}
        with torch.no_grad():
            kl = (slp(policy, t["tokens"], t["response_mask"]) - slp(reference, t["tokens"], t["response_mask"])).mean().item()
        policy.train()
        win = sum(1.0 if g > 0 else 0.5 if g == 0 else 0.0 for g in gaps) / len(gaps)
        return win, kl, sum(map(len, lines)) / len(lines)

    torch.manual_seed(0)
    policy = copy.deepcopy(reference).train()
    opt = torch.optim.AdamW(policy.parameters(), lr=lr, weight_decay=0.0)
    rows = [(0, 0.0, 0.0, *judge(policy))]
    print(f"    beta {beta}: step    0: win rate {rows[-1][3]:.3f}, KL {rows[-1][4]:.2f} nats, line length {rows[-1][5]:.1f}", flush=True)
    trained, wall, step, marks = 0.0, 0.0, 0, [seconds * (k + 1) / evals for k in range(evals)]
    while trained < seconds:
        tick, wall_tick = time.process_time(), time.time()
        i = torch.randint(n, (batch,), device=device)
        loss, _, _ = nb["dpo_loss"](slp(policy, tc["tokens"][i], tc["response_mask"][i]),
                                    slp(policy, tr["tokens"][i], tr["response_mask"][i]), ref_c[i], ref_r[i], beta)
        opt.zero_grad()
        loss.backward()
        opt.step()
        trained += time.process_time() - tick
        wall += time.time() - wall_tick
        step += 1
        if trained >= marks[len(rows) - 1] or trained >= seconds:
            rows.append((step, trained, wall, *judge(policy)))
            print(f"    beta {beta}: step {step:4d}, {trained:5.1f} CPU s ({wall:5.1f} s wall): win rate {rows[-1][3]:.3f}, "
                  f"KL {rows[-1][4]:.2f} nats, line length {rows[-1][5]:.1f}", flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rm-steps", type=int, default=200)
    parser.add_argument("--rm-batch", type=int, default=32)
    parser.add_argument("--rm-lr", type=float, default=1e-3)
    parser.add_argument("--rm-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--betas", type=float, nargs="*", default=[0.1, 0.5], help="none: the reward model only")
    parser.add_argument("--dpo-seconds", type=float, default=60.0)
    parser.add_argument("--dpo-batch", type=int, default=16)
    parser.add_argument("--dpo-lr", type=float, default=3e-5)
    parser.add_argument("--evals", type=int, default=4)
    parser.add_argument("--skip-rm", action="store_true")
    args = parser.parse_args()
    nb = solution_namespace("rlhf", DEFINITIONS)
    print(f"torch threads: {nb['torch'].get_num_threads()}")
    if not args.skip_rm:
        accs, expected, models = [], [], {}
        for seed in args.rm_seeds:
            acc, exp, cpu, wall, models[seed] = reward_model_accuracy(nb, args.rm_steps, args.rm_batch, args.rm_lr, seed)
            accs.append(acc)
            expected.append(exp)
            print(f"    reward model, seed {seed}: {args.rm_steps} steps in {cpu:.0f} CPU s ({wall:.0f} s wall); "
                  f"held-out accuracy {acc:.3f} on the labeller's draws, {exp:.3f} expected", flush=True)
        ceiling = nb["ceiling"]
        for name, values in (("on the labeller's draws", accs), ("expected", expected)):
            mean, worst = sum(values) / len(values), min(values)
            print(f"reward model, held-out accuracy {name}: {mean:.3f} (mean of {len(values)} seeds, lowest {worst:.3f}); "
                  f"the labeller's ceiling {ceiling:.3f}: {100 * (ceiling - mean):.1f} points below (lowest seed "
                  f"{100 * (ceiling - worst):.1f}; goal: within 5) -> {'met' if ceiling - mean <= 0.05 else 'MISSED'}")
        same_temperature_report(nb, models)
    for beta in args.betas:
        rows = dpo_run(nb, beta, args.dpo_seconds, args.dpo_batch, args.dpo_lr, args.evals)
        step, secs, wall, win, kl, length = rows[-1]
        best = max(rows[1:], key=lambda r: r[3])
        print(f"DPO beta {beta}: {step} steps, {secs:.0f} CPU s ({wall:.0f} s wall) of training; win rate against the "
              f"reference {win:.3f} on {len(nb['fresh_prompts'])} fresh prompts (step 0: {rows[0][3]:.3f}; best "
              f"{best[3]:.3f} at {best[1]:.0f} s; goal 0.70 -> {'met' if win >= 0.7 else 'MISSED'}), KL {kl:.2f} nats, "
              f"mean line length {length:.1f} (reference {rows[0][5]:.1f})")


if __name__ == "__main__":
    main()
