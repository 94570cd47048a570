"""Where the course's files live, and the nbgrader API configured for them."""
import logging
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

REPO = Path(__file__).resolve().parents[1]
CONFIG_FILE = Path(__file__).with_name("nbgrader_config.py")
# The course's id in every gradebook, and where the source notebooks and the student versions
# live in the repository; nbgrader_config.py sets nbgrader's CourseDirectory from these.
COURSE_ID = "transformers-course"
SOURCE_DIRECTORY = "solutions"
RELEASE_DIRECTORY = "assignments"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def parse_due_date(text: str):
    """A due date as nbgrader reads one ("2027-01-15 17:00", "... UTC", "... Europe/London"), in UTC."""
    from nbgrader.utils import parse_utc

    try:
        return parse_utc(str(text))
    except (ValueError, OverflowError) as err:
        raise GraderError(f"cannot read the due date {text!r}: {err} (write it like 2027-01-15 17:00 UTC)") from None


def nbgrader_failure(result: dict) -> str:
    """The line of a failed nbgrader API call's log that says what went wrong."""
    text = (result.get("error") or result.get("log") or "").strip().splitlines()
    lines = [line for line in text if "Error" in line or "error" in line] or text or ["nbgrader failed without a message"]
    return lines[-1].strip()[:300]


class GraderError(Exception):
    """A problem the instructor can fix (a wrong argument, a missing file); shown as one line."""


@dataclass
class Course:
    root: Path = REPO
    workdir: Path = REPO / "grader" / "work"
    release_dir: Path = REPO / RELEASE_DIRECTORY
    gradebook_file: Path | None = None    # default: <workdir>/gradebook.db
    extra_config: Path | None = None      # an instructor's nbgrader config, loaded over ours (--config)

    @property
    def source_dir(self) -> Path:
        return self.root / SOURCE_DIRECTORY

    @property
    def submitted_dir(self) -> Path:
        return self.workdir / "submitted"

    @property
    def autograded_dir(self) -> Path:
        return self.workdir / "autograded"

    @property
    def feedback_dir(self) -> Path:
        return self.workdir / "feedback"

    @property
    def gradebook_path(self) -> Path:
        return self.gradebook_file or self.workdir / "gradebook.db"

    @property
    def db_url(self) -> str:
        return sqlite_url(self.gradebook_path)

    def source_notebook(self, assignment_id: str) -> Path:
        return self.source_dir / assignment_id / f"{assignment_id}.ipynb"

    def release_notebook(self, assignment_id: str) -> Path:
        return self.release_dir / assignment_id / f"{assignment_id}.ipynb"

    def submitted_notebook(self, student_id: str, assignment_id: str) -> Path:
        return self.submitted_dir / student_id / assignment_id / f"{assignment_id}.ipynb"

    def autograded_notebook(self, student_id: str, assignment_id: str) -> Path:
        return self.autograded_dir / student_id / assignment_id / f"{assignment_id}.ipynb"

    def assignment_ids(self) -> list[str]:
        """Assignments are the folders of solutions/ that hold a notebook of the same name."""
        return sorted(p.parent.name for p in self.source_dir.glob("*/*.ipynb") if p.stem == p.parent.name)

    def check_assignment(self, assignment_id: str) -> None:
        if assignment_id not in self.assignment_ids():
            known = ", ".join(self.assignment_ids()) or "none"
            raise GraderError(f"unknown assignment {assignment_id!r} (known: {known})")

    def config(self) -> Config:
        cfg = PyFileConfigLoader(CONFIG_FILE.name, str(CONFIG_FILE.parent)).load_config()
        if self.extra_config:
            if not Path(self.extra_config).is_file():
                raise GraderError(f"no such config file: {self.extra_config}")
            extra = Path(self.extra_config).resolve()
            cfg.merge(PyFileConfigLoader(extra.name, str(extra.parent)).load_config())
        cd = cfg.CourseDirectory
        cd.root = str(self.root)
        cd.release_directory = str(self.release_dir)
        cd.submitted_directory = str(self.submitted_dir)
        cd.autograded_directory = str(self.autograded_dir)
        cd.feedback_directory = str(self.feedback_dir)
        cd.db_url = self.db_url
        # What a student's kernel must never read or write while it is graded.
        cfg.GuardedExecute.hidden_paths = [str(self.root), str(self.workdir)]
        cfg.GuardedExecute.package_dir = str(self.root / "llmcourse")
        return cfg

    def due_date(self, assignment_id: str):
        """The due date the config gives ``assignment_id`` (``c.Grader.due_dates = {id: "2027-01-15
        17:00 Europe/London"}``), in UTC, or None."""
        grader_config = self.config().get("Grader", {})
        due = dict(grader_config.get("due_dates", {}) or {}).get(assignment_id)
        return parse_due_date(due) if due else None

    def api(self, cell_timeout: int | None = None, notebook_timeout: int | None = None, memory_mb: int | None = None):
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        self.workdir.mkdir(parents=True, exist_ok=True)
        cfg = self.config()
        if cell_timeout:
            cfg.GuardedExecute.timeout = cell_timeout
        if notebook_timeout:
            cfg.GuardedExecute.notebook_timeout = notebook_timeout
        if memory_mb is not None:
            cfg.GuardedExecute.memory_limit_mb = memory_mb
        api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
        api.log.setLevel(logging.WARNING)
        return api
