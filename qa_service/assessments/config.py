"""The assessment configuration (考核方案), a YAML file beside the rubrics, validated strictly: a
mistake names the file, the key path and the problem, as the rubric loader does.

Defaults follow the regulations in the project's seeds (see ``rubric/assessment.default.yaml``):
客户满意度 40 %, 问题解决率 30 %, the rest 服务态度 (QA quality) and 工作效率; pass mark 85.
"""

from __future__ import annotations

import hashlib
from itertools import pairwise
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from qa_service.errors import QAError
from qa_service.scoring.schema import _location

COMPONENTS = ("satisfaction", "resolution", "quality", "efficiency")


class AssessmentConfigError(QAError):
    code = "invalid_assessment_config"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Weights(_Strict):
    """Component weights in percent; they must sum to 100."""

    satisfaction: float = Field(default=40, ge=0, le=100, description="客户满意度")
    resolution: float = Field(default=30, ge=0, le=100, description="问题解决率")
    quality: float = Field(default=15, ge=0, le=100, description="服务态度: QA score of the calls")
    efficiency: float = Field(default=15, ge=0, le=100, description="工作效率")

    @model_validator(mode="after")
    def _sum(self) -> Weights:
        total = sum(self.as_dict().values())
        if abs(total - 100) > 1e-6:
            raise ValueError(f"weights must sum to 100, they sum to {total:g}")
        return self

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in COMPONENTS}


class Quality(_Strict):
    """Per call, quality = human_weight × human score + (1 - human_weight) × machine score when a
    reviewer scored the call, the machine score otherwise (or the human one alone)."""

    human_weight: float = Field(default=1.0, ge=0, le=1)


class Efficiency(_Strict):
    """Targets for the agent's means over the period. A measure at or under its target scores 100,
    above it 100 × target / mean (twice the target: 50). The component is the weighted mean of the
    measures that have data."""

    handle_time_target_s: float = Field(default=180, gt=0, description="average handle time")
    response_latency_target_s: float = Field(default=2.5, gt=0, description="mean response latency")
    handle_time_weight: float = Field(default=50, ge=0)
    response_latency_weight: float = Field(default=50, ge=0)

    @model_validator(mode="after")
    def _some_weight(self) -> Efficiency:
        if self.handle_time_weight + self.response_latency_weight <= 0:
            raise ValueError("handle_time_weight and response_latency_weight cannot both be 0")
        return self


class Complaints(_Strict):
    """Penalty points off the total per complaint in the period: the i-th complaint costs
    ``points[i-1]``, the last entry repeating. ``fail_at``: this many complaints fail the
    assessment whatever the total (None: never)."""

    points: list[float] = Field(default_factory=lambda: [5.0, 10.0], min_length=1)
    fail_at: int | None = Field(default=3, ge=1)

    @model_validator(mode="after")
    def _non_negative(self) -> Complaints:
        if any(p < 0 for p in self.points):
            raise ValueError("penalty points cannot be negative")
        return self

    def penalty(self, complaints: int) -> float:
        return float(sum(self.points[min(i, len(self.points) - 1)] for i in range(complaints)))


class Grade(_Strict):
    min: float = Field(ge=0, le=100)
    label: str = Field(min_length=1)


def _default_grades() -> list[Grade]:
    return [
        Grade(min=95, label="优秀"),
        Grade(min=90, label="良好"),
        Grade(min=85, label="合格"),
        Grade(min=0, label="不合格"),
    ]


class Star(_Strict):
    """服务之星: per team, the highest total among agents who passed, handled at least
    ``min_calls`` calls and had at most ``max_complaints`` complaints; agents tied share it."""

    min_calls: int = Field(default=10, ge=1)
    max_complaints: int = Field(default=0, ge=0)


class AssessmentConfig(_Strict):
    id: str = "assessment.default"
    version: int = Field(default=1, ge=1)
    name: str = "客服月度考核（默认）"
    period: Literal["month", "week"] = "month"
    weights: Weights = Weights()
    quality: Quality = Quality()
    efficiency: Efficiency = Efficiency()
    complaints: Complaints = Complaints()
    pass_mark: float = Field(default=85, ge=0, le=100)
    grades: list[Grade] = Field(default_factory=_default_grades, min_length=1)
    star: Star = Star()
    min_calls: int = Field(default=5, ge=1, description="fewer calls: total shown, not graded or ranked")
    top_failed_checks: int = Field(default=5, ge=0)

    @model_validator(mode="after")
    def _bands(self) -> AssessmentConfig:
        mins = [g.min for g in self.grades]
        if any(a <= b for a, b in pairwise(mins)):
            raise ValueError("grades must be listed from the highest min to the lowest, each min distinct")
        if mins[-1] != 0:
            raise ValueError("the last grade must have min 0, so that every total gets a grade")
        return self

    def grade(self, total: float) -> str:
        return next(g.label for g in self.grades if total >= g.min)


def parse_assessment_config(text: str, source: str) -> AssessmentConfig:
    """Validate YAML text; errors read ``<source>: weights: weights must sum to 100, ...``."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AssessmentConfigError(f"{source}: not valid YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise AssessmentConfigError(f"{source}: an assessment config is a YAML mapping at the top level")
    try:
        return AssessmentConfig.model_validate(data)
    except ValidationError as exc:
        problems = [f"{source}: {_location(tuple(e['loc']), data)}: {e['msg']}" for e in exc.errors()]
        raise AssessmentConfigError("\n".join(problems)) from exc


def load_assessment_config(path: Path | str) -> AssessmentConfig:
    path = Path(path)
    if not path.is_file():
        raise AssessmentConfigError(f"{path}: assessment config file not found")
    return parse_assessment_config(path.read_text(encoding="utf-8"), str(path))


def config_sha256(path: Path | str) -> str:
    """Content hash of a config file, to record which configuration produced a scorecard."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
