"""What a notebook tells students about points agrees with what nbgrader awards: the header's
**Points.** total and each graded cell's "(N points)" equal the cells' nbgrader metadata."""
import re

import nbformat
import pytest

from tests.conftest import ASSIGNMENTS, REPO

SOURCES = [REPO / "solutions" / a / f"{a}.ipynb" for a in ASSIGNMENTS]


def graded_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_the_header_states_the_total_the_metadata_awards(path):
    nb = nbformat.read(path, as_version=4)
    total = sum(c.metadata["nbgrader"]["points"] for c in graded_cells(nb))
    stated = re.findall(r"\*\*Points\.\*\*\s*(\d+)", nb.cells[0].source)
    assert stated == [str(int(total))], f"{path.stem}: the header says {stated} points, the graded cells award {total:g}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_each_graded_cell_states_its_own_points(path):
    wrong = []
    for cell in graded_cells(nbformat.read(path, as_version=4)):
        meta = cell.metadata["nbgrader"]
        stated = re.findall(r"\((\d+) points?\)", cell.source.splitlines()[0])
        if stated != [str(int(meta["points"]))]:
            wrong.append(f"{meta['grade_id']}: says {stated or 'nothing'}, awards {meta['points']:g}")
    assert not wrong, f"{path.stem}: " + "; ".join(wrong)
