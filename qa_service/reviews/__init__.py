"""Human review of calls: the review queue and workflow, calibration between reviewers, and the
statistics (confidence intervals, agreement, sample sizes) that reviews and spot checks report."""
