"""transformers models: all-MiniLM-L6-v2 for semantic phrases, a local sequence classifier."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from qa_service.backends.transformers_text import bundled_sentence_model, sentence_encoder, text_classifier
from qa_service.errors import ModelNotFoundError
from qa_service.scoring import schema as s
from qa_service.scoring.checks import CHECKS, Context
from qa_service.scoring.schema import load_rubric
from tests.conftest import ROOT
from tests.scoring.conftest import dialogue


def test_sentence_embeddings_rank_paraphrases_above_unrelated_text():
    encoder = sentence_encoder()
    assert encoder is sentence_encoder()  # loaded once per process
    v = encoder.encode(
        ["how can I help you today", "what can I do for you today?", "my parcel never arrived"]
    )
    assert v.shape == (3, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert float(v[0] @ v[1]) > 0.6 > float(v[0] @ v[2])


def _greeting(match: str) -> s.RequiredPhrase:
    rubric = load_rubric(ROOT / "rubric" / "en-US.default.yaml").rubric
    check = next(c for c in rubric.checks if c.id == "greeting")
    assert isinstance(check, s.RequiredPhrase)
    return check.model_copy(update={"match": match})


@pytest.mark.parametrize(
    ("match", "status"), [("fuzzy", "failed"), ("semantic", "passed"), ("both", "passed")]
)
def test_semantic_match_finds_a_paraphrased_greeting(match, status):
    call = dialogue(
        "[0.5-3] agent: Hello, Rachel speaking, what do you need help with today?\n[4-6] customer: Hi.", "en"
    )
    finding = CHECKS["required_phrase"](_greeting(match), Context(call=call, low_prob=0.4))
    assert finding.status == status
    if status == "passed":
        [evidence] = finding.evidence
        assert evidence.matched == "what do you need help with today?"
        assert 0.65 <= (evidence.similarity or 0) < 1
        assert finding.needs_review  # a match by meaning is for a person to confirm


def _tiny_classifier(path: Path, complaint_bias: float) -> Path:
    """A small BERT classifier with MiniLM's tokenizer whose output is fixed by its bias."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    path.mkdir()
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(bundled_sentence_model() / name, path / name)
    config = BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=37,
        id2label={0: "other", 1: "complaint"},
        label2id={"other": 0, "complaint": 1},
    )
    model = BertForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([0.0, complaint_bias]))
    model.save_pretrained(path)
    return path


APOLOGY = s.ApologyAfterComplaint(
    id="apology_after_complaint",
    kind="apology_after_complaint",
    category="c",
    points=5,
    complaint_phrases=["投诉"],
    apology_phrases=["非常抱歉"],
)


def test_a_local_classifier_detects_complaints_the_lexicon_misses(tmp_path):
    says_yes = _tiny_classifier(tmp_path / "yes", complaint_bias=6.0)
    says_no = _tiny_classifier(tmp_path / "no", complaint_bias=-6.0)
    probs = text_classifier(says_yes).probabilities(["这东西用了两天就不行了", "谢谢"])
    assert [round(p["complaint"], 2) for p in probs] == [1.0, 1.0]
    call = dialogue("agent: 您好\ncustomer: 这东西用了两天就不行了\nagent: 非常抱歉给您带来不便")
    lexicon_only = CHECKS[APOLOGY.kind](APOLOGY, Context(call=call, low_prob=0.4))
    assert lexicon_only.status == "not_applicable"
    spec = s.ClassifierSpec(model=says_yes, label="complaint", threshold=0.5)
    with_model = CHECKS[APOLOGY.kind](
        APOLOGY.model_copy(update={"complaint_classifier": spec}), Context(call=call, low_prob=0.4)
    )
    assert with_model.status == "passed"
    assert with_model.evidence[0].matched == "这东西用了两天就不行了"
    spec_no = s.ClassifierSpec(model=says_no, label="complaint", threshold=0.5)
    quiet = CHECKS[APOLOGY.kind](
        APOLOGY.model_copy(update={"complaint_classifier": spec_no}), Context(call=call, low_prob=0.4)
    )
    assert quiet.status == "not_applicable"


def test_missing_or_wrong_classifier_is_a_clear_error(tmp_path):
    with pytest.raises(ModelNotFoundError, match="not a transformers model directory"):
        text_classifier(tmp_path)
    model = _tiny_classifier(tmp_path / "m", complaint_bias=1.0)
    call = dialogue("customer: 不行")
    spec = s.ClassifierSpec(model=model, label="angry")
    with pytest.raises(s.RubricError, match="no label 'angry'"):
        CHECKS[APOLOGY.kind](
            APOLOGY.model_copy(update={"complaint_classifier": spec}), Context(call=call, low_prob=0.4)
        )
