"""The data an assignment's kernels read, put in place before the first kernel starts.

Graded kernels have no network. A kernel that finds no copy of a dataset cannot download one, so
without this step every submission, the solution's too, lost the points of every test after the
data cell (6 of 17 for the tokenizer, on a fresh instructor's machine). The grader's own process
may download (with the checksum check of ``llmcourse.data``); if a file cannot be had, grading stops
before anyone is scored.

What an assignment needs is read from its source notebook: the ``llmcourse.data`` loaders its code
calls (``llmcourse.data.LOADERS``). A dataset reached some other way is caught by the canary.
"""
import os
import re
from pathlib import Path

import nbformat

from grader.course import Course, GraderError


def required_datasets(source: Path) -> list:
    """The ``RemoteFile``s whose loaders the notebook's code cells call, in a stable order."""
    from llmcourse.data import LOADERS

    code = "\n".join(c.source for c in nbformat.read(source, as_version=4).cells if c.cell_type == "code")
    return [remote for name, remote in sorted(LOADERS.items()) if re.search(rf"\b{name}\s*\(", code)]


def provide_data(course: Course, assignment_id: str) -> list[Path]:
    """Find (or download) every dataset the assignment needs where its kernels will look, or stop.

    The kernels inherit this process's environment, so they search the same course cache and
    ``$LLMCOURSE_DATA_DIR`` and find the same verified copies."""
    from llmcourse.data import DataError, cache_dir, fetch

    from grader.execute import filesystem_isolation_available

    paths = []
    for remote in required_datasets(course.source_notebook(assignment_id)):
        try:
            path = fetch(remote).resolve()
        except DataError as err:
            data_dir = os.environ.get("LLMCOURSE_DATA_DIR") or "unset"
            raise GraderError(
                f"{assignment_id} needs {remote.filename} ({remote.size:,} bytes, sha256 {remote.sha256[:12]}...), "
                f"which is in neither the course cache ({cache_dir()}) nor $LLMCOURSE_DATA_DIR ({data_dir}), and "
                f"{err.reason}. Graded kernels have no network, so provide it in one of two ways: copy the file "
                f"into {cache_dir()}, or set LLMCOURSE_DATA_DIR to a folder that holds it. Nothing was graded.") from None
        hidden = [folder for folder in (course.root, course.workdir) if path.is_relative_to(Path(folder).resolve())]
        if hidden and filesystem_isolation_available():
            raise GraderError(f"{remote.filename} was found at {path}, inside {hidden[0]}, which graded kernels cannot "
                              f"see; keep the course's data outside the repository and the work folder. Nothing was graded.")
        paths.append(path)
    return paths
