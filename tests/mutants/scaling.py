"""Wrong versions of the scaling assignment that the hidden tests must catch."""
from tests.studentwork import Mutant

MUTANTS = {
    # Graded through the real grader (tests/test_grading.py) as the class's wrong version: cheap to run.
    "flops_2ND": Mutant(
        [("return 6 * n_params * n_tokens", "return 2 * n_params * n_tokens")],
        loses=["test_transformer_flops"], why="counts the forward pass only"),
    "pass_at_k_with_replacement": Mutant(
        [("    if n - c < k:\n        return 1.0\n    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))",
          "    return float(1.0 - (1.0 - c / n) ** k)")],
        loses=["test_pass_at_k"], why="1 - (1 - c/n)^k: sampling with replacement, biased low"),
    "pass_at_k_factorials_overflow": Mutant(
        [("    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))",
          "    return 1.0 - (float(math.factorial(n - c)) * float(math.factorial(n - k))\n"
          "                  / (float(math.factorial(n)) * float(math.factorial(n - c - k))))")],
        loses=["test_pass_at_k"], why="C(n-c, k) / C(n, k) through float factorials: OverflowError past n = 170"),
    "power_law_fitted_in_linear_space": Mutant(
        [("    log_x = np.log(np.asarray(x, dtype=np.float64))\n"
          "    log_y = np.log(np.asarray(y, dtype=np.float64))\n"
          "    slope, intercept = np.polyfit(log_x, log_y, 1)\n"
          "    return float(np.exp(intercept)), float(-slope)",
          # torch's L-BFGS, not scipy's curve_fit: scipy is not among the course's requirements.
          "    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)\n"
          "    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)   # a start, then least squares on y itself\n"
          "    tx, ty = torch.from_numpy(x), torch.from_numpy(y)\n"
          "    log_a = torch.tensor(float(intercept), dtype=torch.float64, requires_grad=True)\n"
          "    b = torch.tensor(float(-slope), dtype=torch.float64, requires_grad=True)\n"
          "    opt = torch.optim.LBFGS([log_a, b], max_iter=500, line_search_fn='strong_wolfe')\n"
          "    def closure():\n"
          "        opt.zero_grad()\n"
          "        loss = ((log_a.exp() * tx ** (-b) - ty) ** 2).sum()\n"
          "        loss.backward()\n"
          "        return loss\n"
          "    opt.step(closure)\n"
          "    return float(log_a.exp()), float(b)")],
        loses=["test_fit_power_law"], why="least squares on y weights the largest y most"),
    "compute_optimal_exponents_swapped": Mutant(
        [("N_opt = G * (C / 6) ** (beta / (alpha + beta))", "N_opt = G * (C / 6) ** (alpha / (alpha + beta))")],
        loses=["test_compute_optimal"], why="N grows with alpha / (alpha + beta), which is D's exponent"),
    "majority_ties_to_the_latest": Mutant(
        [("    return max(counts, key=counts.get)   # dicts keep first-occurrence order; max keeps the first of equals",
          "    best = None\n"
          "    for answer in counts:\n"
          "        if best is None or counts[answer] >= counts[best]:\n"
          "            best = answer\n"
          "    return best")],
        loses=["test_majority_vote"], why="on a tie, the answer seen first last wins"),
    "majority_ties_by_value": Mutant(
        [("    return max(counts, key=counts.get)   # dicts keep first-occurrence order; max keeps the first of equals",
          "    return max(sorted(counts), key=counts.get)")],
        loses=["test_majority_vote"], why="on a tie, the smallest answer wins"),
    "huber_on_raw_losses": Mutant(
        [("return F.huber_loss(log_pred, log_L.expand_as(log_pred), delta=delta, reduction=\"none\").sum(-1)",
          "return F.huber_loss(log_pred.exp(), log_L.exp().expand_as(log_pred), delta=delta, reduction=\"none\").sum(-1)")],
        loses=["test_fit_chinchilla"], why="residuals in nats, not relative: a different objective and optimum"),
    "isoflop_parabola_in_N": Mutant(
        [("    c2, c1, _ = np.polyfit(log_N, np.asarray(L, dtype=np.float64), 2)\n"
          "    return float(np.exp(-c1 / (2 * c2)))",
          "    c2, c1, _ = np.polyfit(np.exp(log_N), np.asarray(L, dtype=np.float64), 2)\n"
          "    return float(-c1 / (2 * c2))")],
        loses=["test_isoflop_minimum"], why="the profile is a parabola in log N, not in N"),
}

EXTRA_MUTANTS = {
    "best_of_n_ties_to_the_latest": Mutant(
        [("best = max(range(len(answers)), key=lambda i: (scores[i], -i))",
          "best = max(range(len(answers)), key=lambda i: (scores[i], i))")],
        loses=["test_best_of_n"]),
    "majority_counts_none": Mutant(
        [("        if answer is not None:\n            counts[answer] = counts.get(answer, 0) + 1",
          "        counts[answer] = counts.get(answer, 0) + 1")],
        loses=["test_majority_vote"], why="an unparseable answer wins when it is the most frequent"),
    "chinchilla_loss_times_N": Mutant(
        [("return E + A / N ** alpha + B / D ** beta", "return E + A * N ** -alpha + B * D ** beta")],
        loses=["test_chinchilla_loss"]),
}
