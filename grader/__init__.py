"""Instructor tooling for the course: ``python -m grader --help``.

A thin layer over nbgrader (one config file, ``grader/nbgrader_config.py``) that works without
JupyterHub: release student versions into ``assignments/``, collect handed-in notebooks from a
folder or a zip, autograde them against the hidden tests, write feedback and export grades.
Its working data (gradebook, submissions, feedback) lives in ``grader/work/``, which git ignores.
"""
