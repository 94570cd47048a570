"""What Colab installs (`pip install git+<repo>` builds a wheel) holds every file of the package:
its data and checkpoints included, and nothing from outside it. The suite itself runs against an
editable install, which would never notice a data file the wheel leaves out."""
import importlib.util
import shutil
import sys
import zipfile

from tests.conftest import REPO, run

PACKAGE = "llmcourse"


def package_files():
    return sorted(p.relative_to(REPO).as_posix() for p in (REPO / PACKAGE).rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def test_the_wheel_holds_every_file_of_the_package_and_nothing_else(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(REPO / PACKAGE, source / PACKAGE, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    # Without network or setuptools at hand, build in pip's isolated environment (from the registry).
    isolation = [] if importlib.util.find_spec("setuptools") is None else ["--no-build-isolation"]
    run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", *isolation, "-w", str(tmp_path / "dist")],
        timeout=600)
    wheel, = (tmp_path / "dist").glob(f"{PACKAGE}-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    missing = [f for f in package_files() if f not in names]
    assert not missing, f"the wheel leaves out {missing}: add them to [tool.setuptools.package-data]"
    outside = [n for n in names if not n.startswith((f"{PACKAGE}/", f"{PACKAGE}-"))]
    assert not outside, f"the wheel carries files from outside the package: {outside}"
