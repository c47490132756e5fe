"""Evaluation against ground truth: ``qa-service eval``."""
