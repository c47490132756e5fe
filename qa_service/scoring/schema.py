"""The rubric file format, validated strictly: a mistake names the file, the key path and the problem."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from qa_service.errors import QAError

RoleSpec = Literal["agent", "customer", "any"]


class RubricError(QAError):
    code = "invalid_rubric"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RelativeWindow(_Strict):
    check: str = Field(description="id of the check whose hit anchors the window")
    position: Literal["before", "after", "within"]
    utterances: int = Field(ge=1, description="how many utterances of the check's role")


class Window(_Strict):
    """Where a phrase must (or must not) occur. Unset fields do not restrict."""

    first_seconds: float | None = Field(default=None, gt=0)
    last_seconds: float | None = Field(default=None, gt=0)
    first_utterances: int | None = Field(default=None, ge=1)
    last_utterances: int | None = Field(default=None, ge=1)
    relative: RelativeWindow | None = None


class _Check(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    category: str
    points: float = Field(gt=0)
    severity: Literal["normal", "critical"] = "normal"
    role: RoleSpec = "agent"
    window: Window | None = None
    description: str = ""


class _Phrases(_Check):
    phrases: list[str] = Field(min_length=1)
    threshold: float = Field(default=0.85, gt=0, le=1, description="similarity needed for a fuzzy hit")
    match: Literal["fuzzy", "semantic", "both"] = Field(
        default="fuzzy", description="semantic: sentence-embedding cosine against each sentence said"
    )
    semantic_threshold: float = Field(default=0.6, gt=0, le=1)


class RequiredPhrase(_Phrases):
    kind: Literal["required_phrase"]


class ForbiddenPhrase(_Phrases):
    kind: Literal["forbidden_phrase"]
    threshold: float = Field(default=0.9, gt=0, le=1)


class RegexCheck(_Check):
    kind: Literal["regex"]
    pattern: str
    exclude: str | None = None
    must_match: bool = Field(default=False, description="True: required; False: forbidden")


class Courtesy(_Check):
    kind: Literal["courtesy"]
    markers: list[str] = Field(min_length=1)
    min_per_utterance: float | None = Field(default=None, ge=0)
    min_per_minute: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_threshold(self) -> Courtesy:
        if (self.min_per_utterance is None) == (self.min_per_minute is None):
            raise ValueError("set exactly one of min_per_utterance and min_per_minute")
        return self


class SpeechRate(_Check):
    kind: Literal["speech_rate"]
    min_per_minute: float | None = Field(default=None, gt=0)
    max_per_minute: float | None = Field(default=None, gt=0)


class DeadAir(_Check):
    kind: Literal["dead_air"]
    max_single_s: float = Field(gt=0)
    max_total_s: float | None = Field(default=None, gt=0)
    hold_phrases: list[str] = Field(default_factory=list)
    hold_announce_within_s: float = Field(default=5.0, ge=0)
    max_hold_s: float = Field(default=60.0, gt=0)


class Interruption(_Check):
    kind: Literal["interruption"]
    max_count: int = Field(default=0, ge=0)
    min_overlap_s: float = Field(default=0.5, ge=0)


class ResponseLatency(_Check):
    kind: Literal["response_latency"]
    max_mean_s: float | None = Field(default=None, gt=0)
    max_s: float | None = Field(default=None, gt=0)


class Loudness(_Check):
    kind: Literal["loudness"]
    max_dbfs: float = Field(le=0, description="95th percentile level of the role's speech frames")


class ClassifierSpec(_Strict):
    """A transformers sequence-classification model in a local directory, one label of which is used."""

    model: Path
    label: str
    threshold: float = Field(default=0.5, gt=0, lt=1)


class ApologyAfterComplaint(_Check):
    kind: Literal["apology_after_complaint"]
    complaint_phrases: list[str] = Field(min_length=1)
    apology_phrases: list[str] = Field(min_length=1)
    within_utterances: int = Field(default=2, ge=1)
    threshold: float = Field(default=0.85, gt=0, le=1)
    complaint_classifier: ClassifierSpec | None = None


class Resolution(_Check):
    kind: Literal["resolution"]
    resolved_phrases: list[str] = Field(min_length=1)
    follow_up_phrases: list[str] = Field(min_length=1)
    commitment_markers: list[str] = Field(
        default_factory=list,
        description='when given, a follow-up counts only if its utterance also commits ("we\'ll", "I will"): '
        '"the adjuster usually replies in a few days" promises nothing',
    )
    threshold: float = Field(default=0.85, gt=0, le=1)
    resolved_classifier: ClassifierSpec | None = None


class PiiDisclosure(_Check):
    kind: Literal["pii_disclosure"]
    types: tuple[Literal["id_card", "bank_card", "phone"], ...] = ("id_card", "bank_card")


class LanguageCheck(_Check):
    kind: Literal["language"]
    expected: str = "zh"
    min_evidence: float = Field(default=0.7, gt=0, le=1)


Check = Annotated[
    RequiredPhrase
    | ForbiddenPhrase
    | RegexCheck
    | Courtesy
    | SpeechRate
    | DeadAir
    | Interruption
    | ResponseLatency
    | Loudness
    | ApologyAfterComplaint
    | Resolution
    | PiiDisclosure
    | LanguageCheck,
    Field(discriminator="kind"),
]


class Category(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    weight: float = Field(gt=0)


class CriticalPolicy(_Strict):
    mode: Literal["zero", "cap"] = "cap"
    cap: float = Field(default=60.0, ge=0, le=100)


class Rubric(_Strict):
    id: str
    version: int = Field(ge=1)
    language: str
    name: str
    pass_threshold: float = Field(default=80.0, ge=0, le=100)
    critical_policy: CriticalPolicy = CriticalPolicy()
    low_confidence_word_prob: float = Field(default=0.5, ge=0, le=1)
    categories: list[Category] = Field(min_length=1)
    checks: list[Check] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> Rubric:
        categories = {c.id for c in self.categories}
        ids = [c.id for c in self.checks]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate check ids: {', '.join(duplicates)}")
        for check in self.checks:
            if check.category not in categories:
                raise ValueError(f"check {check.id!r} names unknown category {check.category!r}")
            rel = check.window.relative if check.window else None
            if rel is not None and rel.check not in ids:
                raise ValueError(f"check {check.id!r} is anchored to unknown check {rel.check!r}")
        return self


class LoadedRubric(BaseModel):
    model_config = ConfigDict(frozen=True)

    rubric: Rubric
    sha256: str
    path: str


def _location(loc: tuple[int | str, ...], data: object) -> str:
    """A key path such as ``checks[3](greeting).window.first_seconds``."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and item < len(node):
                node = node[item]
                if isinstance(node, dict) and "id" in node:
                    label += f"({node['id']})"
            parts.append(label)
        elif isinstance(node, dict) and item == node.get("kind"):
            continue  # the union's tag, not a key of the file
        else:
            parts.append(("." if parts else "") + str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def parse_rubric(text: str, source: str) -> LoadedRubric:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RubricError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RubricError(f"{source}: a rubric is a YAML mapping at the top level")
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as exc:
        problems = [f"{source}: {_location(tuple(e['loc']), data)}: {e['msg']}" for e in exc.errors()]
        raise RubricError("\n".join(problems)) from exc
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedRubric(rubric=rubric, sha256=digest, path=source)


def load_rubric(path: Path | str) -> LoadedRubric:
    path = Path(path)
    if not path.is_file():
        raise RubricError(f"{path}: rubric file not found")
    return parse_rubric(path.read_text(encoding="utf-8"), str(path))
