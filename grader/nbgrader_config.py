# The course's one nbgrader configuration. `python -m grader` loads it and adds the paths
# (course root, release folder, work folder) for the command at hand; plain `nbgrader` run from
# the repository root reads it too (copy it to the root as nbgrader_config.py to use it that way).
c = get_config()  # noqa: F821 (nbgrader provides get_config)

c.CourseDirectory.course_id = "transformers-course"
# solutions/<id>/<id>.ipynb are the source notebooks; assignments/<id>/<id>.ipynb their releases.
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Seconds a single cell may run while autograding before it is interrupted and marked as failed.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
# A student's print loop must not bloat the gradebook or the feedback.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 40

# Feedback never shows hidden tests, nor tracebacks that quote them.
from grader.feedback import HideHiddenTests  # noqa: E402
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
