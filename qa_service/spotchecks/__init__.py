"""Spot checks (录音抽查): reproducible, stratified samples of each agent's calls for review, and
compliance estimates from the reviewed sample."""
