"""The notice as LangChain documents: task rows, clauses, sentences and header facts, with stable ids.

Every document carries ``metadata["text"]``, the verbatim passage an answer may quote, and
``metadata["source"]`` (task-12, clause-3, preamble, header), the citation it gives.
Chroma (1.5) stores list metadata, so ``units`` is a list of canonical unit names; read it with
:func:`doc_units`, which also accepts the 、-joined string older stores held.
"""

from __future__ import annotations

from langchain_core.documents import Document

from corpus.records import Clause, Notice, Task

KINDS = ("task", "task_sentence", "clause", "sentence", "header")

# Header field → the Chinese label a reader sees.
HEADER_LABELS: dict[str, str] = {
    "issuer": "发文单位",
    "doc_number": "文号",
    "title": "标题",
    "addressees": "主送",
    "implements": "贯彻文件",
    "attachment_title": "附件",
    "cc": "抄送",
}


def doc_units(doc: Document) -> list[str]:
    """The canonical units a task document names (empty for other kinds)."""
    units = doc.metadata.get("units")
    if units is None or units == "":
        return []
    if isinstance(units, str):
        return units.split("、")
    return [str(u) for u in units]


def notice_documents(notice: Notice) -> list[Document]:
    """All documents of the notice, in reading order: header, preamble, clauses, tasks."""
    docs: list[Document] = []
    for field, label in HEADER_LABELS.items():
        value: str = getattr(notice.header, field)
        docs.append(
            Document(
                id=f"header:{field}",
                page_content=f"{label}：{value}",
                metadata={"kind": "header", "source": "header", "number": 0, "field": field, "text": value},
            )
        )
    for clause in (notice.preamble, *notice.clauses):
        docs.extend(_clause_documents(clause))
    for task in notice.tasks:
        docs.extend(_task_documents(task))
    return docs


def _clause_documents(clause: Clause) -> list[Document]:
    base = {"source": clause.source, "number": clause.number, "heading": clause.heading}
    return _with_sentences(
        clause.source, clause.text, clause.sentences, base, ("clause", "sentence"), clause.text
    )


def _task_documents(task: Task) -> list[Document]:
    base = {
        "source": task.source,
        "number": task.number,
        "category": task.category,
        "units_raw": task.units_raw,
        "units": list(task.units),
    }
    return _with_sentences(
        task.source, task.content, task.sentences, base, ("task", "task_sentence"), task.row_text
    )


def _with_sentences(
    source: str,
    content: str,
    sentences: tuple[str, ...],
    base: dict[str, object],
    kinds: tuple[str, str],
    quote: str,
) -> list[Document]:
    """One document for a passage (``quote`` is what it cites) and, when it has several, one per sentence."""
    whole, part = kinds
    docs = [Document(id=source, page_content=content, metadata={"kind": whole, **base, "text": quote})]
    if len(sentences) > 1:  # a one-sentence passage is already its own sentence
        docs.extend(
            Document(
                id=f"{source}:s{i}",
                page_content=sentence,
                metadata={"kind": part, **base, "sentence": i, "text": sentence},
            )
            for i, sentence in enumerate(sentences, start=1)
        )
    return docs
