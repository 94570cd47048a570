"""The grader's shape: no import circles among its modules (imports inside functions count too),
and the command line is a thin layer over grader/api.py."""
import ast
import inspect
from pathlib import Path

from tests.conftest import REPO

GRADER = REPO / "grader"


def grader_imports(path: Path) -> set[str]:
    """The grader modules a file imports anywhere in it, as module names ('autograde', 'course'...)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "grader":
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("grader."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith("grader.")}
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {p.stem for p in GRADER.glob("*.py")}
    return {p.stem: grader_imports(p) & modules - {p.stem} for p in GRADER.glob("*.py")}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_circles_in_the_grader():
    graph = import_graph()
    assert {"api", "cli", "autograde", "canary", "course"} <= set(graph)
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_command_line_calls_the_api_for_every_command():
    from grader import api, cli

    commands = {"release", "collect", "autograde", "merge", "feedback", "export", "stats", "publish", "check"}
    assert commands <= set(api.__all__)
    for name in commands:
        assert f"api.{name}(" in inspect.getsource(getattr(cli, f"cmd_{name}")), f"cmd_{name} does not call api.{name}"
    # The command line imports no module that does the work, only the API (and the worker's loop).
    assert grader_imports(GRADER / "cli.py") <= {"api", "course", "autograde", "stats"}
