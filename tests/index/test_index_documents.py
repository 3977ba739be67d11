"""notice_documents: every row, clause and header fact, verbatim, with unique stable ids."""

from __future__ import annotations

from collections import Counter

import pytest
from langchain_core.documents import Document

from corpus.records import Notice
from index.documents import KINDS, doc_units, notice_documents


@pytest.fixture(scope="module")
def docs(notice: Notice) -> list[Document]:
    return notice_documents(notice)


def test_ids_are_unique_and_stable(notice: Notice, docs: list[Document]) -> None:
    ids = [d.id for d in docs]
    assert all(ids)
    assert len(set(ids)) == len(ids)
    assert [d.id for d in notice_documents(notice)] == ids


def test_every_task_and_clause_has_a_document(notice: Notice, docs: list[Document]) -> None:
    by_id = {d.id: d for d in docs}
    assert [d.metadata["number"] for d in docs if d.metadata["kind"] == "task"] == list(range(1, 24))
    assert [d.id for d in docs if d.metadata["kind"] == "clause"] == [
        "preamble",
        "clause-1",
        "clause-2",
        "clause-3",
    ]
    assert by_id["clause-3"].metadata["heading"] == "切实加大政策扶持"
    assert by_id["preamble"].metadata["number"] == 0
    assert set(Counter(d.metadata["kind"] for d in docs)) == set(KINDS)


def test_texts_are_verbatim(notice: Notice, docs: list[Document]) -> None:
    for doc in docs:
        meta = doc.metadata
        if meta["kind"] == "task":
            # row_text joins verbatim cells with ｜; each cell is in the file.
            for cell in meta["text"].split("｜"):
                assert cell in notice.text, (doc.id, cell)
            assert doc.page_content in notice.text
        else:
            assert meta["text"] in notice.text, doc.id
        if meta["kind"] != "header":
            assert doc.page_content == meta["text"] or meta["kind"] == "task"


def test_task_document_fields(docs: list[Document]) -> None:
    task12 = next(d for d in docs if d.id == "task-12")
    assert task12.page_content == "强化企业职工在岗教育培训。"
    assert task12.metadata == {
        "kind": "task",
        "source": "task-12",
        "number": 12,
        "category": "发挥企业重要主体作用",
        "units_raw": "市人社局、市总工会会同市有关部门",
        "units": ["市人社局", "市总工会", "市有关部门"],
        "text": "12｜发挥企业重要主体作用｜强化企业职工在岗教育培训。｜市人社局、市总工会会同市有关部门",
    }
    assert doc_units(task12) == ["市人社局", "市总工会", "市有关部门"]


def test_sentences_only_for_multi_sentence_paragraphs(notice: Notice, docs: list[Document]) -> None:
    ids = {d.id for d in docs}
    assert "task-12:s1" not in ids  # one sentence: the row is the sentence
    assert {"task-3:s1", "task-3:s2"} <= ids
    task3_s2 = next(d for d in docs if d.id == "task-3:s2")
    assert task3_s2.page_content == "加快推进新工科建设。"
    assert task3_s2.metadata["kind"] == "task_sentence"
    assert task3_s2.metadata["source"] == "task-3"
    clause3 = notice.clause(3)
    assert clause3 is not None
    sentences = [d for d in docs if d.metadata["kind"] == "sentence" and d.metadata["source"] == "clause-3"]
    assert [d.page_content for d in sentences] == list(clause3.sentences)
    assert any("三重一创" in d.page_content for d in sentences)


def test_header_facts(notice: Notice, docs: list[Document]) -> None:
    headers = {d.metadata["field"]: d for d in docs if d.metadata["kind"] == "header"}
    assert headers["doc_number"].page_content == "文号：六政办秘〔2018〕123号"
    assert headers["issuer"].page_content == "发文单位：六安市人民政府办公室"
    assert headers["issuer"].metadata["text"] == "六安市人民政府办公室"
    assert all(d.metadata["source"] == "header" for d in headers.values())
    assert set(headers) == {
        "issuer",
        "doc_number",
        "title",
        "addressees",
        "implements",
        "attachment_title",
        "cc",
    }


def test_metadata_values_are_chroma_scalars_or_str_lists(docs: list[Document]) -> None:
    for doc in docs:
        for key, value in doc.metadata.items():
            if key == "units":
                assert isinstance(value, list)
                assert value
                assert all(isinstance(u, str) for u in value)
            else:
                assert isinstance(value, str | int | float | bool), (doc.id, key)


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        (["市教育局", "市科技局"], ["市教育局", "市科技局"]),
        ("市教育局、市科技局", ["市教育局", "市科技局"]),
        ("", []),
        (None, []),
    ],
)
def test_doc_units_reads_lists_and_joined_strings(units: object, expected: list[str]) -> None:
    meta = {} if units is None else {"units": units}
    assert doc_units(Document(page_content="x", metadata=meta)) == expected
