import pytest

from qa_service.evaluation.measures import Detection, Event, error_count, match_events, relative_error


def test_cer_normalises_script_numerals_and_punctuation():
    ref = "请您提供一下订单号，四七八二，六六零一。"
    assert error_count(ref, "請您提供一下訂單號4782 6601", "zh").rate == 0.0
    err = error_count("您好很高兴为您服务", "你好很高兴为你服务", "zh")
    assert (err.edits, err.length) == (2, 9)


def test_wer_counts_words():
    err = error_count("How may I help you today?", "how can I help you", "en")
    assert (err.edits, err.length) == (2, 6)


def test_events_match_one_to_one_by_overlap_and_label():
    truth = [Event(10, 20), Event(40, 50)]
    found = [Event(10.3, 19.8), Event(10.5, 12), Event(70, 80)]
    det = match_events(truth, found)
    assert (det.tp, det.fp, det.fn) == (1, 2, 1)
    assert det.precision == pytest.approx(1 / 3)
    assert det.recall == pytest.approx(0.5)
    assert det.f1 == pytest.approx(0.4)


def test_labels_must_agree():
    det = match_events([Event(5, 6, "customer")], [Event(5, 6, "agent")])
    assert (det.tp, det.fp, det.fn) == (0, 1, 1)


def test_nothing_to_find_and_nothing_found_has_no_f1():
    assert Detection().f1 is None
    assert (Detection(1, 0, 0) + Detection(0, 1, 1)).f1 == pytest.approx(0.5)


def test_relative_error():
    assert relative_error(110, 100) == pytest.approx(0.1)
    assert relative_error(None, 100) is None
    assert relative_error(5, 0) is None
