import pytest

from qa_service.text import canonical_for_comparison, count_spoken_units, normalize
from qa_service.text.numbers import en_cardinal, en_ordinal, zh_cardinal, zh_number


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "零"),
        (7, "七"),
        (10, "十"),
        (12, "十二"),
        (20, "二十"),
        (24, "二十四"),
        (100, "一百"),
        (105, "一百零五"),
        (110, "一百一十"),
        (320, "三百二十"),
        (1001, "一千零一"),
        (1010, "一千零一十"),
        (3000, "三千"),
        (10000, "一万"),
        (10086, "一万零八十六"),
        (25000, "二万五千"),
        (100000, "十万"),
        (1200000, "一百二十万"),
        (100000000, "一亿"),
        (100010000, "一亿零一万"),
    ],
)
def test_zh_cardinal(n, expected):
    assert zh_cardinal(n) == expected


def test_long_and_leading_zero_numbers_are_read_digit_by_digit():
    assert zh_number("13812764509") == "一三八一二七六四五零九"
    assert zh_number("0571") == "零五七一"
    assert zh_number("9527") == "九千五百二十七"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("您好，請問有什麼可以幫您？", "您好，请问有什么可以帮您？"),
        ("我的電話是138-1276-4509。", "我的电话是一三八一二七六四五零九。"),
        ("訂單號4782 6601 3952", "订单号四七八二六六零一三九五二"),
        ("24小時內給您回復", "二十四小时内给您回复"),
        ("一共320元", "一共三百二十元"),
        ("明天下午3:00前", "明天下午三点前"),
        ("下午3:30到", "下午三点三十分到"),
        ("打九折，就是90%", "打九折，就是百分之九十"),
        ("2024年的訂單", "二零二四年的订单"),
        ("３２０元 ， 好的", "三百二十元，好的"),
        ("重量是2.5公斤", "重量是二点五公斤"),
        ("好的,,我看一下!", "好的，我看一下！"),
        ("你好 我想问一下", "你好我想问一下"),
        ("。。嗯", "嗯"),
        ("订单号1478,661,395,2。", "订单号一四七八六六一三九五二。"),
        ("订单4782，6601，3952", "订单四七八二六六零一三九五二"),
        ("一共1,200元", "一共一千二百元"),
        ("一共12,500元", "一共一万二千五百元"),
        ("电话182,663,517", "电话一八二六六三五一七"),
        ("我要3,4个", "我要三，四个"),
    ],
)
def test_normalize_zh(raw, expected):
    assert normalize(raw, "zh") == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hello, HOW can I help you today?", "hello, how can i help you today?"),
        ("My number is 555-0134.", "my number is five five five zero one three four."),
        ("It's the 3rd time!", "it's the third time!"),
        ("The 21st or the 12th", "the twenty first or the twelfth"),
        ("That costs 25 pounds", "that costs twenty five pounds"),
        ("It costs 1,200 dollars", "it costs one thousand two hundred dollars"),
        ("“Quoted” — text…", "quoted text."),
        ("Card 4111 1111 1111 1111", "card " + " ".join(["four"] + ["one"] * 15)),
    ],
)
def test_normalize_en(raw, expected):
    assert normalize(raw, "en") == expected


def test_en_cardinal_and_ordinal():
    assert en_cardinal(1234) == "one thousand two hundred thirty four"
    assert en_cardinal(1000000) == "one million"
    assert en_ordinal(40) == "fortieth"
    assert en_ordinal(101) == "one hundred first"


def test_comparison_folds_spoken_digit_variants_and_punctuation():
    assert canonical_for_comparison("幺三八，幺二七六，四五零九。两到三天", "zh") == canonical_for_comparison(
        "138-1276-4509 2到3天", "zh"
    )
    assert canonical_for_comparison("Hello, there!", "en") == "hello there"


def test_count_spoken_units():
    assert count_spoken_units("您好，很高兴为您服务！", "zh") == 9
    assert count_spoken_units("订单号4782", "zh") == 10  # 订单号四千七百八十二
    assert count_spoken_units("好的 OK 谢谢", "zh") == 5
    assert count_spoken_units("Hello, how are you?", "en") == 4
    assert count_spoken_units("I have 2 cats", "en") == 4
