"""Due dates and late submissions, as nbgrader users know them: release records a due date (or the
config gives one), collect records each submission's time (the file's, the zip's, or one read from
its name), the report flags late ones, and export applies the configured late penalty (none by default)."""
import csv
import datetime as dt
import re
import sys
from pathlib import Path

import nbformat
import pytest

from grader.autograde import late_by
from grader.collect import time_from_name
from grader.course import Course, GraderError, parse_due_date
from tests.conftest import run
from tests.studentwork import student_submission

GRADER = [sys.executable, "-m", "grader"]


def test_lateness_reads_as_days_hours_and_minutes():
    assert late_by(0) == "" and late_by(-5) == ""
    assert late_by(20) == "1 min"
    assert late_by(26 * 3600 + 30 * 60) == "1 d 2 h 30 min"


def test_a_due_date_is_read_as_nbgrader_reads_one_or_refused_in_words():
    assert parse_due_date("2027-01-15 17:00 UTC") == dt.datetime(2027, 1, 15, 17, 0)
    assert parse_due_date("2027-01-15 17:00 Europe/Paris") == dt.datetime(2027, 1, 15, 16, 0)
    with pytest.raises(GraderError, match="cannot read the due date"):
        parse_due_date("next friday-ish")


def test_a_time_is_read_from_a_file_name():
    pattern = re.compile(r"_(\d{8}T\d{6})")
    assert time_from_name(Path("bob_20260602T143000.ipynb"), pattern) == dt.datetime(2026, 6, 2, 14, 30,
                                                                                       tzinfo=dt.timezone.utc)
    assert time_from_name(Path("carol.ipynb"), pattern) is None


def test_the_config_gives_due_dates(tmp_path):
    config = tmp_path / "course_config.py"
    config.write_text('c.Grader.due_dates = {"attention": "2026-06-01 12:00 UTC"}\n')
    assert Course(extra_config=config).due_date("attention") == dt.datetime(2026, 6, 1, 12, 0)
    assert Course(extra_config=config).due_date("gpt") is None
    with pytest.raises(GraderError, match="no such config file"):
        Course(extra_config=tmp_path / "missing.py").due_date("attention")


@pytest.mark.slow
def test_late_submissions_are_flagged_and_penalised_as_configured(tmp_path):
    handed_in = tmp_path / "in"
    handed_in.mkdir()
    for name in ("alice_20260601T110000", "bob_20260602T143000", "carol"):
        nbformat.write(student_submission("attention"), handed_in / f"{name}.ipynb")
    config = tmp_path / "course_config.py"
    config.write_text('c.LateSubmissionPlugin.penalty_method = "zero"\n')
    common = [*GRADER, "--workdir", str(tmp_path / "work"), "--release-dir", str(tmp_path / "released"),
              "--config", str(config)]
    run([*common, "release", "attention", "--duedate", "2026-06-01 12:00 UTC"])
    collected = run([*common, "collect", "attention", str(handed_in), "--student-pattern", r"^(?P<student>[a-z]+)",
                     "--timestamp-pattern", r"_(\d{8}T\d{6})"]).stdout
    assert "carol (carol.ipynb): --timestamp-pattern found no time in its name" in collected
    run([*common, "autograde", "attention", "--no-canary", "--jobs", "2", "--device", "cpu"], timeout=600)
    with open(tmp_path / "work" / "reports" / "attention.csv") as f:
        report = {row["student_id"]: row for row in csv.DictReader(f)}
    assert report["alice"]["late_by"] == "" and report["alice"]["late_penalty"] == ""
    assert report["bob"]["late_by"] == "1 d 2 h 30 min" and report["bob"]["late_penalty"] == "15"
    run([*common, "export", "--out", str(tmp_path / "grades.csv")])
    with open(tmp_path / "grades.csv") as f:
        grades = {row["student_id"]: row for row in csv.DictReader(f)}
    assert (grades["alice"]["score"], grades["bob"]["score"]) == ("15", "0")
    assert grades["bob"]["max_score"] == "15"
