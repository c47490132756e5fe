"""Text that must never count: the hallucination guard on constructed segments."""

import pytest

from qa_service.config import AsrSettings
from qa_service.pipeline.transcribe import suspect_reason
from qa_service.transcript import Segment, Word


def segment(text="您好，请问有什么可以帮您？", *, logprob=-0.3, ratio=1.2, no_speech=0.05, overlap=1.0):
    words = (Word(1.0, 1.5, text[:2], 0.9), Word(1.5, 3.0, text[2:], 0.8))
    return Segment(1.0, 3.0, text, words, logprob, ratio, no_speech, overlap, "zh", 1.0)


@pytest.mark.parametrize(
    ("seg", "reason"),
    [
        (segment(), None),
        (segment("字幕由Amara.org社区提供"), "stock_hallucination"),
        (segment("请不吝点赞 订阅 转发 打赏支持明镜与点点栏目"), "stock_hallucination"),
        (segment("Thanks for watching!"), "stock_hallucination"),
        (segment(overlap=0.2), "no_speech_detected"),
        (segment(ratio=3.1), "repetitive"),
        (segment(logprob=-1.4), "low_confidence"),
        (segment(no_speech=0.9, logprob=-1.2), "low_confidence"),
        (segment(no_speech=0.9, logprob=-0.7), None),  # a window's no-speech rating is not the segment's
        (segment("我们会员订阅的费用是多少"), None),  # 订阅 alone is ordinary vocabulary
    ],
)
def test_suspect_reason(seg, reason):
    assert suspect_reason(seg, AsrSettings()) == reason
