"""Feedback that teaches without giving the hidden tests away.

nbgrader's feedback is the autograded notebook as HTML, so by default it shows the hidden tests and
tracebacks that quote them. This preprocessor runs before the HTML export: in every graded test
cell it cuts the hidden region and replaces each error's traceback with its one-line message.
"""
import re

from nbgrader.preprocessors import NbGraderPreprocessor

from grader.notebooks import BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, is_test

HIDDEN_REGION = re.compile(rf"^[ \t]*{re.escape(BEGIN_HIDDEN_TESTS)}.*?^[ \t]*{re.escape(END_HIDDEN_TESTS)}[^\n]*\n?", re.S | re.M)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
HIDDEN_NOTE = "# (hidden tests ran here; their result is shown below)\n"


def hide_hidden_tests(source: str) -> str:
    return HIDDEN_REGION.sub(HIDDEN_NOTE, source)


def one_line_error(output) -> list[str]:
    message = ANSI.sub("", str(output.get("evalue", ""))).strip()
    # assert_close's message ends with our own hint; keep its first lines, not pages of numbers.
    message = "\n".join(message.splitlines()[:6])
    return [f"{output.get('ename', 'Error')}: {message}" if message else output.get("ename", "Error")]


class HideHiddenTests(NbGraderPreprocessor):
    def preprocess_cell(self, cell, resources, index):
        if is_test(cell):
            cell.source = hide_hidden_tests(cell.source)
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = one_line_error(output)
        return cell, resources
