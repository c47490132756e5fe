import pytest

from qa_service.text.lexicon import DEFAULT_LEXICON, Lexicon, get_lexicon, load_lexicon


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return get_lexicon()


@pytest.mark.parametrize(
    ("asr", "expected"),
    [
        ("请您提供一下订单好，我帮您核时一下。", "请您提供一下订单号，我帮您核实一下。"),
        ("我帮您合时一下", "我帮您核实一下"),  # no shared character, but the same syllables and tones
        ("您去找快递公司里陪", "您去找快递公司理赔"),
        ("补发的快地单好会通过短信发给您", "补发的快递单号会通过短信发给您"),
        ("这部电梯确实还在保休期，我给您登计一下", "这部电梯确实还在保修期，我给您登记一下"),
        ("请问还有其它问题吗？", "请问还有其他问题吗？"),
        ("我想退宽", "我想退款"),
    ],
)
def test_homophones_of_service_terms_are_corrected(lexicon, asr, expected):
    assert lexicon.correct(asr) == expected


@pytest.mark.parametrize(
    "text",
    [
        "我们会在二十四小时内给您回复",
        "你好，很高兴为你服务",  # 你/您 is a courtesy fault to detect, never to repair
        "请您提供一下身份证号",
        "今天天气不错",
        "我可以直接帮您改",  # 接帮 sounds like 解绑
        "您的会员等级是金卡",  # 等级 sounds like 登记
        "ABC123订单",
        "",
    ],
)
def test_correct_text_is_left_alone(lexicon, text):
    assert lexicon.correct(text) == text


def test_extra_terms_and_comments(tmp_path):
    extra = tmp_path / "company.txt"
    extra.write_text("# our brand\n星河家居\n\nX\n", encoding="utf-8")
    lexicon = load_lexicon([DEFAULT_LEXICON, extra])
    assert len(lexicon) == len(load_lexicon([DEFAULT_LEXICON])) + 1
    assert lexicon.correct("您好，星和家居客服中心") == "您好，星河家居客服中心"


def test_lexicon_is_loaded_once():
    assert get_lexicon() is get_lexicon()
