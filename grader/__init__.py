"""Instructor tooling for the course: ``python -m grader --help``.

A thin layer over nbgrader (one config file, ``grader/nbgrader_config.py``) that works without
JupyterHub: release student versions into ``assignments/``, collect handed-in notebooks from a
folder or a zip, autograde them against the hidden tests, write feedback and export grades.
Its working data (gradebook, submissions, feedback) lives in ``grader/work/``, which git ignores.
"""
import sys

# nbformat loads jsonschema, which compiles a grammar for the "iri" string format at import when the
# optional rfc3987_syntax package is there (jupyter-events, a dependency of the notebook stack, pulls
# it in): 1.1 s of the 2.5 s every grader command and grading worker took to start. No schema the
# grader validates uses that format, so the grader goes without the package.
sys.modules.setdefault("rfc3987_syntax", None)
