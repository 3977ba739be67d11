"""The content answerer: topic terms, the gate (words and meaning), the sentence pick, several sentences cited.

Unit tests feed documents as the hybrid retriever returns them, with the dense similarities chosen by the test;
the slow test at the end runs the real model and index on the questions of issue 9.
"""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from assistant.content import GATE, ContentAnswerer, Gate, Terms
from assistant.phrasing import NOT_FOUND
from corpus.records import Notice
from index.documents import notice_documents


def _retrieved(notice: Notice, sims: dict[str, float], default: float = 0.6) -> list[Document]:
    """The documents named in ``sims``, best first, with the metadata the retriever adds."""
    every = {d.id: d for d in notice_documents(notice)}
    out = []
    for doc_id in sorted(sims, key=lambda i: -sims[i]):
        doc = every[doc_id]
        children: list[float] = []
        while f"{doc_id}:s{len(children) + 1}" in every:
            children.append(sims.get(f"{doc_id}:s{len(children) + 1}", default))
        meta = {**doc.metadata, "dense_sim": sims[doc_id]}
        if children:
            meta["sentence_sims"] = children
        out.append(Document(id=doc.id, page_content=doc.page_content, metadata=meta))
    return out


def _answerer(notice: Notice, sims: dict[str, float]) -> tuple[ContentAnswerer, list[str]]:
    asked: list[str] = []

    def retrieve(text: str) -> list[Document]:
        asked.append(text)
        return _retrieved(notice, sims)

    return ContentAnswerer(notice, retrieve), asked


@pytest.mark.parametrize(
    ("coverage", "dense", "admitted"),
    [
        (1.0, 0.5, True),  # every topic word is the notice's
        (0.0, 0.9, True),  # nothing in words, but the meaning is close
        (0.5, 0.72, True),  # some of both
        (0.5, 0.65, False),
        (0.3, 0.74, False),  # 老旧小区改造有什么政策: a word or two, meaning not close enough
        (0.0, 0.7, False),  # 国足什么时候能进世界杯
    ],
)
def test_the_gate_weighs_words_and_meaning(coverage: float, dense: float, admitted: bool) -> None:
    assert GATE.admits(coverage, dense) is admitted


def test_a_gate_is_configurable() -> None:
    strict = Gate(coverage_alone=1.01, dense_alone=1.01, coverage_min=1.01, dense_min=1.01)
    assert not strict.admits(1.0, 1.0)


@pytest.mark.parametrize(
    ("question", "terms"),
    [
        ("订单班这种形式文件里有吗", ["订单班"]),  # framing words (形式, 文件里) are the shared stop list's
        (
            "企业能不能自己出钱办职业学校？",
            ["企业", "出钱", "职业学校"],
        ),  # 不能自己 is stop words run together
        ("税收上有什么说法吗", ["税收"]),
        ("进了工厂就等于进了学校", ["工厂", "学校"]),  # a lone 进 names nothing; 等于 is 等 + 于
    ],
)
def test_topic_terms(notice: Notice, question: str, terms: list[str]) -> None:
    assert Terms(notice).salient(question) == terms


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("企业参与职业教育有什么好处", {"好处"}),  # what is asked follows the question word
        ("政府到底给哪些实打实的扶持", {"扶持"}),  # the head of the asked phrase is its last topic word
        ("讲钱的是正文哪一条", set()),  # 哪一条 asks for a clause, no topic
        ("学徒制是怎么回事", set()),  # no question word before a topic
        ("新工科是什么意思", set()),  # 意思 is a frame (words.toml), not a topic
    ],
)
def test_the_asked_for_term(notice: Notice, question: str, focus: set[str]) -> None:
    terms = Terms(notice)
    assert terms.focus(question, terms.salient(question)) == focus


def test_the_asked_for_term_weighs_more(notice: Notice) -> None:
    terms = Terms(notice)
    words = ["企业", "税收"]
    sentence = "推动各级财税部门把深化产教融合作为落实结构性减税政策的重要举措。"  # holds 税收's words only
    assert terms.overlap(words, sentence, frozenset({"税收"})) > terms.overlap(words, sentence)


@pytest.mark.parametrize(
    ("terms", "low", "high"),
    [
        (["银行"], 1.0, 1.0),  # the domain list: 银行 → 信贷, 金融
        (["老师"], 1.0, 1.0),  # the general list: 老师 → 师资, 教师
        (["大学老师"], 0.7, 0.9),  # a compound by its halves: 大学 → 高等学校, 老师 → 教师
        (["医保", "报销"], 0.0, 0.0),
    ],
)
def test_coverage_counts_the_notices_words_for_a_term(
    notice: Notice, terms: list[str], low: float, high: float
) -> None:
    assert low <= Terms(notice).coverage(terms) <= high


def test_rare_words_weigh_more_than_common_ones(notice: Notice) -> None:
    t = Terms(notice)
    assert t.weight("划拨") > t.weight("企业")
    assert t.weight("量子") == 1.0  # not in the notice at all: favours no sentence


def test_a_clause_heading_answers_with_the_sentences_under_it(notice: Notice) -> None:
    # 优惠政策 → 政策扶持, the heading of 第三条; the incentives are its five sentences, each cited.
    answerer, asked = _answerer(notice, {"clause-3:s1": 0.73, "clause-3": 0.80, "task-8": 0.75})
    reply = answerer.answer("企业有哪些优惠政策")
    assert asked == ["企业有哪些优惠政策"]
    assert not reply.refused
    for words in ("三重一创", "评审办法", "结构性减税", "划拨方式供地", "信贷支持"):
        assert words in reply.text
    assert [c.source for c in reply.extra] == ["clause-3"] * 5
    assert "三、切实加大政策扶持。" not in [c.text for c in reply.extra]
    assert reply.tasks == ()


def test_meaning_picks_between_sentences_that_share_the_words(notice: Notice) -> None:
    # Both task-14 and task-9 hold 学校 / 企业-like words; the closer meaning wins.
    sims = {"task-14": 0.85, "task-14:s2": 0.86, "task-9": 0.70, "task-9:s2": 0.70}
    answerer, _ = _answerer(notice, sims)
    reply = answerer.answer("学校和工厂一起培养学生的学徒制是什么")
    assert reply.tasks == (14,)
    assert "现代新型学徒制" in reply.text
    assert "第14项责任单位" in reply.text


def test_off_topic_is_refused_before_any_quote(notice: Notice) -> None:
    answerer, _ = _answerer(notice, {"task-19": 0.66, "task-21": 0.65})
    reply = answerer.answer("垃圾分类有哪几类")
    assert reply.refused
    assert reply.text == NOT_FOUND
    assert reply.extra == ()
    assert reply.tasks == ()


def test_related_never_quotes_a_bare_heading(notice: Notice) -> None:
    answerer, _ = _answerer(notice, {"clause-3:s1": 0.9, "clause-3": 0.7})
    assert all(c.text != "三、切实加大政策扶持。" for c in answerer.related("政策扶持有多少钱"))


def test_a_retrieval_failure_in_related_is_quiet(notice: Notice) -> None:
    def broken(text: str) -> list[Document]:
        raise RuntimeError("index gone")

    assert ContentAnswerer(notice, broken).related("信贷支持多少钱") == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "source", "words"),
    [
        ("产教融合型企业有什么激励政策", "clause-3", ["三重一创", "划拨", "信贷"]),
        ("企业有哪些优惠政策", "clause-3", ["三重一创", "划拨", "信贷"]),
        ("对企业有什么税收优惠", "clause-3", ["结构性减税"]),
        ("市里哪些部门要加强协调配合", "clause-1", ["加强协调配合"]),
        ("会不会先挑一些企业搞试点", "clause-2", ["先行先试"]),
        ("银行会给产教融合项目放贷吗", "clause-3", ["信贷支持"]),
        ("大学老师做研究选题要参考什么", "task-11", ["研究选题"]),
    ],
)
def test_issue_questions_with_the_real_model(
    notice: Notice, question: str, source: str, words: list[str]
) -> None:
    from assistant.wiring import retriever_factory
    from corpus.settings import Settings

    retriever = retriever_factory(Settings(), notice)()
    reply = ContentAnswerer(notice, retriever.invoke).answer(question)
    assert not reply.refused
    cited = [c.source for c in reply.extra] + [f"task-{n}" for n in reply.cite]
    assert cited[0] == source
    for w in words:
        assert w in reply.text


def test_an_english_question_needs_its_english_words_in_the_notice() -> None:
    # The model's similarity is calibrated on Chinese: close meaning alone does not admit English.
    assert GATE.admits(0.0, 0.9, english_share=0.6)
    assert not GATE.admits(1.0, 0.9, english_share=0.34)  # Who won the football match? (match → 协调)
    assert not GATE.admits(1.0, 0.9, english_share=0.5)  # half is not enough: <script> alert → 规划


def test_what_is_asked_for_must_be_answered(notice: Notice) -> None:
    # task-5 holds 企业, 参与, 职业教育 and is closer in meaning; only 第三条 holds 好处's word (政策扶持).
    answerer, _ = _answerer(notice, {"task-5": 0.83, "clause-3:s1": 0.70})
    reply = answerer.answer("企业参与职业教育有什么好处")
    assert "划拨" in reply.text  # 第三条's sentences under its heading
    assert "信贷" in reply.text
    assert "独资" not in reply.text


def test_without_an_asked_for_term_the_best_sentence_answers(notice: Notice) -> None:
    answerer, _ = _answerer(notice, {"task-5": 0.83, "clause-3:s1": 0.70})
    assert "独资" in answerer.answer("企业参与职业教育").text


def test_a_compound_held_by_its_halves_weighs_what_they_weigh(notice: Notice) -> None:
    terms = Terms(notice)
    # 财政资金 is not in the notice, 财政 and 资金 are: it tells sentences apart as they do, not like an unknown word.
    assert terms.weight("财政资金") == pytest.approx((terms.weight("财政") + terms.weight("资金")) / 2)
    assert terms.weight("足球比赛") == 1.0
