"""The HTTP layer (FastAPI). The core in ``qa_service`` never imports it."""
