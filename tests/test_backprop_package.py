"""The backprop assignment's package code: llmcourse.plots.draw_graph draws any micrograd-style node
(data, grad, _prev, _op) without recursion, one box per value and one arrow per distinct input."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from llmcourse import plots


class Node:
    """The four attributes draw_graph reads, and nothing else (no __hash__ games, no _backward)."""

    def __init__(self, data, prev=(), op=""):
        self.data, self.grad, self._prev, self._op = data, 0.0, tuple(prev), op


def test_draws_a_diamond_with_a_node_used_twice():
    x = Node(0.5)
    h = Node(1.0, (x, x), "*")          # x used twice: one arrow
    a, b = Node(2.7, (h,), "exp"), Node(3.0, (h,), "*3")
    out = Node(5.7, (a, b), "+")
    ax = plots.draw_graph(out, labels={x: "x", out: "L"}, title="diamond")
    texts = [t.get_text() for t in ax.texts if t.get_text()]   # arrows are empty annotations
    assert sum(t.startswith("L\n") for t in texts) == 1 and sum(t.startswith("x\n") for t in texts) == 1
    assert sum("data" in t for t in texts) == 5                       # one box per value
    assert sorted(t for t in texts if "data" not in t) == ["*", "*3", "+", "exp"]   # one circle per operation
    arrows = [c for c in ax.get_children() if isinstance(c, matplotlib.text.Annotation)]
    assert len(arrows) == 4 + 1 + 1 + 1 + 2                           # op -> value, and distinct input -> op
    plt.close("all")


def test_a_long_chain_needs_no_recursion_and_a_big_graph_is_refused():
    node = Node(0.0)
    for i in range(3000):
        node = Node(float(i), (node,), "+1")
    with pytest.raises(ValueError, match="at most"):
        plots.draw_graph(node)
    plt.close("all")
