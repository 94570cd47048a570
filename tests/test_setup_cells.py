"""Every notebook's setup cell: on Colab it installs the course package from the public repository
and nothing else; elsewhere it installs nothing. Requirements pin torch; the package does not."""
import subprocess
import sys
import tomllib
import types

import nbformat
import pytest
import yaml

from tests.conftest import REPO

NOTEBOOKS = sorted((REPO / "assignments").glob("*/*.ipynb"))
REPO_URL = yaml.safe_load((REPO / "_config.yml").read_text())["repository"]["url"]


def setup_cell(path):
    cells = [c for c in nbformat.read(path, as_version=4).cells
             if c.metadata.get("nbgrader", {}).get("grade_id") == "setup"]
    assert len(cells) == 1, f"{path.name} needs exactly one cell with grade_id 'setup'"
    return cells[0].source


@pytest.mark.parametrize("on_colab", [True, False])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_setup_cell_installs_only_the_course_package_and_only_on_colab(path, on_colab, monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    namespace = {}
    exec(compile(setup_cell(path), str(path), "exec"), namespace)
    if on_colab:
        assert calls == [[sys.executable, "-m", "pip", "install", "--quiet", f"git+{REPO_URL}"]]
    else:
        assert calls == []
    assert str(namespace["device"]) in ("cpu", "cuda")


def test_colab_button_and_setup_cells_point_at_the_same_repository():
    assert REPO_URL.startswith("https://github.com/")
    for path in NOTEBOOKS:
        assert REPO_URL in setup_cell(path)


def test_requirements_pin_torch_and_the_package_leaves_it_free():
    requirements = (REPO / "requirements.txt").read_text().splitlines()
    assert "torch==2.13.0" in requirements
    assert "-e ." in requirements
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "torch" in dependencies
    assert all(not any(op in d for op in "=<>~") for d in dependencies), dependencies
