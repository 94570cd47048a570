# The course's one nbgrader configuration. `python -m grader` loads it and adds the paths
# (course root, release folder, work folder) for the command at hand; plain `nbgrader` run from
# the repository root reads it too (copy it to the root as nbgrader_config.py to use it that way).
from grader.course import COURSE_ID, RELEASE_DIRECTORY, SOURCE_DIRECTORY  # noqa: E402

c = get_config()  # noqa: F821 (nbgrader provides get_config)

c.CourseDirectory.course_id = COURSE_ID
# solutions/<id>/<id>.ipynb are the source notebooks; assignments/<id>/<id>.ipynb their releases.
c.CourseDirectory.source_directory = SOURCE_DIRECTORY
c.CourseDirectory.release_directory = RELEASE_DIRECTORY

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A student's print loop must not bloat the gradebook or the feedback.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 40

# Feedback never shows hidden tests, nor tracebacks that quote them.
from grader.feedback import HideHiddenTests  # noqa: E402
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]

# Each notebook runs under limits: per cell, for the whole notebook, on
# memory and without network; a kernel that dies costs only the cell it died in; text on stderr
# (a library's warning) no longer fails a test cell. See grader/execute.py.
from grader.execute import GuardedExecute, StderrIsNotFailure  # noqa: E402
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties, CheckCellMetadata, IgnorePattern, LimitOutput, SaveAutoGrades,
)

c.Autograde.autograde_preprocessors = [
    GuardedExecute, StderrIsNotFailure, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades, AssignLatePenalties,
    CheckCellMetadata,
]
c.GuardedExecute.timeout = 120
c.GuardedExecute.notebook_timeout = 600
c.GuardedExecute.memory_limit_mb = 4096

# Late submissions: collect records each hand-in's time, `release --duedate` (or
# c.Grader.due_dates = {"attention": "2027-01-15 17:00 UTC"}) the due date; nbgrader measures the
# lateness and this plugin sets the penalty export subtracts ("none", or "zero": a late submission
# scores 0). Override it in a file of your own: python -m grader --config course_config.py ...
c.LateSubmissionPlugin.penalty_method = "none"
