"""Catalogues of plausible wrong answers, one module per assignment: each must lose points."""
