"""The scaling notebook's graded cells (hidden tests included) accept other correct implementations
than the reference: run in-process, with the source's answers swapped for differently written but
correct ones (the paper's uncentred parameterisation with one L-BFGS run per start, scipy's L-BFGS-B,
lstsq for the power law, exact binomials for pass@k, Counter for the vote, argmax for best-of-n).
Wrong versions are in tests/mutants/scaling.py, graded by tests/test_wrong_versions.py. Each
alternative is graded by the tests of the cell it replaces only. The two other fits are in the full
tier (marked slow): with the hidden tests' reference fit, each costs 5 to 13 s of CPU (scipy's, with
finite-difference gradients, is the slower, and takes longer than the 5 s the issue asks of a fit)."""
import matplotlib

matplotlib.use("Agg")

import nbformat
import pytest

from tests.conftest import REPO
from tests.inprocess import graded_with_answers

SOURCE = nbformat.read(REPO / "solutions" / "scaling" / "scaling.ipynb", as_version=4)

FIT_PAPER_FORM_ONE_START_AT_A_TIME = '''
def chinchilla_loss(N, D, E, A, B, alpha, beta):
    return E + A * N ** (-alpha) + B * D ** (-beta)


def fit_chinchilla(N, D, L, delta=1e-3):
    log_N = torch.tensor(np.log(N), dtype=torch.float64)
    log_D = torch.tensor(np.log(D), dtype=torch.float64)
    log_L = torch.tensor(np.log(L), dtype=torch.float64)
    best, best_value = None, math.inf
    for a0, b0, e0, alpha0 in itertools.product((2.0, 5.0), (3.0, 6.0), (-1.0, 0.5), (0.2, 0.6)):
        params = torch.tensor([a0, b0, e0, alpha0, 0.3], dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([params], max_iter=1000, tolerance_grad=1e-10, tolerance_change=1e-14,
                                line_search_fn="strong_wolfe")

        def objective():
            a, b, e, alpha, beta = params
            pred = torch.logsumexp(torch.stack([a - alpha * log_N, b - beta * log_D, e.expand_as(log_N)]), dim=0)
            r = (pred - log_L).abs()
            return torch.where(r <= delta, 0.5 * r ** 2, delta * (r - 0.5 * delta)).sum()

        def closure():
            opt.zero_grad()
            value = objective() * 1000
            value.backward()
            return value
        opt.step(closure)
        value = objective().item()
        if math.isfinite(value) and value < best_value:
            best, best_value = params.detach().clone(), value
    a, b, e, alpha, beta = best.tolist()
    return dict(E=math.exp(e), A=math.exp(a), B=math.exp(b), alpha=alpha, beta=beta)
'''
FIT_SCIPY_LBFGSB = '''
from scipy.optimize import minimize
from scipy.special import huber, logsumexp


def chinchilla_loss(N, D, E, A, B, alpha, beta):
    return E + A / N ** alpha + B / D ** beta


def fit_chinchilla(N, D, L, delta=1e-3):
    x_N, x_D, y = np.log(N), np.log(D), np.log(L)
    c_N, c_D = x_N.mean(), x_D.mean()

    def objective(p):   # p = a', b', e, alpha, beta, the logs centred; summed and scaled up, or L-BFGS-B stops early
        a, b, e, alpha, beta = p
        pred = logsumexp([a - alpha * (x_N - c_N), b - beta * (x_D - c_D), np.full_like(x_N, e)], axis=0)
        return 1e4 * huber(delta, pred - y).sum()

    results = [minimize(objective, np.array(start), method="L-BFGS-B")   # finite-difference gradients
               for start in itertools.product((-1.0, 0.0), (-1.0, 0.0), (-1.0, 0.0), (0.2, 0.8), (0.3,))]
    a, b, e, alpha, beta = min(results, key=lambda r: r.fun).x
    return {"E": float(np.exp(e)), "A": float(np.exp(a + alpha * c_N)), "B": float(np.exp(b + beta * c_D)),
            "alpha": float(alpha), "beta": float(beta)}
'''
POWER_LAW_LSTSQ = '''
def fit_power_law(x, y):
    X = np.stack([np.ones(len(x)), np.log(np.asarray(x, dtype=float))], axis=1)
    (log_a, slope), *_ = np.linalg.lstsq(X, np.log(np.asarray(y, dtype=float)), rcond=None)
    return float(np.exp(log_a)), float(-slope)
'''
COMPUTE_OPTIMAL_FROM_D = '''
def compute_optimal(C, E, A, B, alpha, beta):
    G = (alpha * A / (beta * B)) ** (1 / (alpha + beta))
    D_opt = (C / 6) ** (alpha / (alpha + beta)) / G
    return C / (6 * D_opt), D_opt
'''
ISOFLOP_LSTSQ = '''
def isoflop_minimum(N, L):
    x = np.log(np.asarray(N, dtype=float))
    X = np.stack([x ** 2, x, np.ones_like(x)], axis=1)
    (c2, c1, c0), *_ = np.linalg.lstsq(X, np.asarray(L, dtype=float), rcond=None)
    return float(np.exp(-c1 / (2 * c2)))
'''
INFERENCE_EXACT_COUNTER_ARGMAX = '''
from collections import Counter


def pass_at_k(n, c, k):
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)   # exact integers: no overflow, the division rounds once


def majority_vote(answers):
    counts = Counter(a for a in answers if a is not None)   # most_common keeps first-seen order among equals
    return counts.most_common(1)[0][0] if counts else None


def best_of_n(answers, scores):
    return answers[int(np.argmax(np.asarray(scores, dtype=float)))]   # argmax returns the first maximum
'''

CORRECT = {
    "fit_paper_form_one_start_at_a_time": ({"fit_chinchilla": FIT_PAPER_FORM_ONE_START_AT_A_TIME},
                                           ["test_chinchilla_loss", "test_fit_chinchilla"]),
    "fit_scipy_lbfgsb": ({"fit_chinchilla": FIT_SCIPY_LBFGSB}, ["test_chinchilla_loss", "test_fit_chinchilla"]),
    "power_law_lstsq": ({"fit_power_law": POWER_LAW_LSTSQ}, ["test_fit_power_law"]),
    "compute_optimal_from_D": ({"compute_optimal": COMPUTE_OPTIMAL_FROM_D}, ["test_compute_optimal"]),
    "isoflop_lstsq": ({"isoflop_minimum": ISOFLOP_LSTSQ}, ["test_isoflop_minimum"]),
    "inference_exact_counter_argmax": ({"inference_scaling": INFERENCE_EXACT_COUNTER_ARGMAX},
                                       ["test_pass_at_k", "test_majority_vote", "test_best_of_n"]),
}


def grade(answers: dict[str, str], tests: list[str]) -> dict[str, str]:
    """Every answer cell (``answers`` in place of the source's where given), then the graded cells
    ``tests`` only: grade_id -> 'ok' or the error."""
    return graded_with_answers(SOURCE, answers, given={"setup"}, only=set(tests))


SLOW = {"fit_paper_form_one_start_at_a_time", "fit_scipy_lbfgsb"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in CORRECT])
def test_other_correct_version_earns_every_point(name, capsys):
    if name == "fit_scipy_lbfgsb":   # the notebook allows scipy, which the course does not install
        pytest.importorskip("scipy", reason="scipy is not among the course's requirements")
    answers, tests = CORRECT[name]
    results = grade(answers, tests)
    assert sorted(results) == sorted(tests), results
    failed = {test: outcome for test, outcome in results.items() if outcome != "ok"}
    assert not failed, failed
