from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import yaml

from qa_service.config import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
# The bundled zh-CN default's version, which the service publishes and activates at start.
ZH_DEFAULT_VERSION: int = yaml.safe_load((ROOT / "rubric" / "zh-CN.default.yaml").read_text())["version"]


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


def load_truth(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / f"{name}.truth.json").read_text(encoding="utf-8"))


def write_audio(
    path: Path,
    samples: np.ndarray,
    rate: int,
    codec: str,
    container: str | None = None,
    metadata: dict[str, str] | None = None,
) -> Path:
    """Encode float samples shaped (channels, frames) with FFmpeg through PyAV."""
    channels = samples.shape[0]
    layout = "mono" if channels == 1 else "stereo"
    with av.open(str(path), mode="w", format=container) as out:
        if metadata:
            out.metadata.update(metadata)
        stream = out.add_stream(codec, rate=rate, layout=layout)
        assert isinstance(stream, av.AudioStream)
        step = 1024
        for pos in range(0, samples.shape[1], step):
            chunk = np.ascontiguousarray(samples[:, pos : pos + step], dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
            frame.sample_rate = rate
            frame.pts = pos
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path
