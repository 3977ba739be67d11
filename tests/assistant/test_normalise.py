import pytest

from assistant.normalise import cn_to_int, normalise


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("一", 1),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十二", 22),
        ("二十三", 23),
        ("一百零五", 105),
        ("二三", 23),
    ],
)
def test_cn_to_int(numeral: str, value: int) -> None:
    assert cn_to_int(numeral) == value


@pytest.mark.parametrize("numeral", ["", "十十十", "abc", "三重"])
def test_cn_to_int_rejects(numeral: str) -> None:
    assert cn_to_int(numeral) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("第二十二项的牵头单位是谁？", "第22项的牵头单位是谁?"),
        ("哪些任務由市人社局牽頭", "哪些任务由市人社局牵头"),
        ("市 人社 局　负责 几项", "市人社局负责几项"),
        ("第５项", "第5项"),
        ("序号十二", "序号12"),
        ("二十三号任务", "23号任务"),
        ("第三条讲什么", "第3条讲什么"),
        ("三重一创资金", "三重一创资金"),  # a name, not a number
        ("五年一贯制", "五年一贯制"),
        ("哪一项", "哪一项"),
        ("市人社局\x00\x07负责\u200b哪些", "市人社局负责哪些"),
        ("task 5 please", "task 5 please"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_normalise_survives_lone_surrogates_and_rtl_marks() -> None:
    assert normalise("\ud800市人社局\u202e牵头") == "市人社局牵头"
