from __future__ import annotations

from typing import Any

import pytest

from qa_service.scoring.call import CallFacts, facts_from_dict
from qa_service.scoring.dialogue import parse_dialogue
from qa_service.scoring.schema import LoadedRubric, load_rubric
from tests.conftest import ROOT


@pytest.fixture(scope="session")
def zh_rubric() -> LoadedRubric:
    return load_rubric(ROOT / "rubric" / "zh-CN.default.yaml")


def dialogue(text: str, language: str = "zh", **metrics: Any) -> CallFacts:
    data = parse_dialogue(text, language)
    data["metrics"].update(metrics)
    return facts_from_dict(data)
