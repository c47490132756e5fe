"""Whisper's temperature fallback samples; with the fixed seed, two processes write the same text."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT, SAMPLES

# Decoding at temperature 1.0 from the start: every window is sampled, as in the fallback.
_TRANSCRIBE = """
import sys
from qa_service.audio import decode_audio
from qa_service.backends import get_asr_backend
from qa_service.config import Settings
settings = Settings()
asr = get_asr_backend(settings.asr, settings.models_dir)
audio = decode_audio(sys.argv[1]).samples[0][: 16000 * 15]
print("".join(s.text for s in asr.transcribe(audio, language="zh", initial_prompt=None).segments))
"""


def _transcribe_in_a_new_process() -> str:
    env = {**os.environ, "QA_ASR__TEMPERATURES": json.dumps([1.0])}
    done = subprocess.run(
        [sys.executable, "-c", _TRANSCRIBE, str(SAMPLES / "zh-dev-01.wav")],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    return done.stdout.strip()


def test_sampled_decoding_is_repeatable_across_processes():
    first, second = _transcribe_in_a_new_process(), _transcribe_in_a_new_process()
    assert first
    assert first == second
