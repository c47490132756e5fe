"""Rubric scoring: YAML rubrics, one pure function per check kind, evidence for every verdict."""
