"""Parse the notice's text into typed records; fail loudly, with the line, on anything unexpected."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from importlib import resources
from pathlib import Path

from corpus.agencies import resolve
from corpus.errors import NoticeQAError
from corpus.records import Assignment, Clause, Header, Notice, Role, Task

NOTICE_FILE = "notice.txt"
_NUMERALS = "一二三四五六七八九十"
_CLAUSE = re.compile(rf"^([{_NUMERALS}]+)、(.+)$")
_DOC_NUMBER = re.compile(r"^\S+〔\d{4}〕\d+号$")
_IMPLEMENTS = re.compile(r"(《[^》]+》[（(][^）)]+[）)])")
_SENTENCE = re.compile(r"[^。！？!?；;]+[。！？!?；;]?")


class NoticeParseError(NoticeQAError, ValueError):
    """The notice text does not have the shape the parser expects; says which line and what was expected."""

    def __init__(self, line: int, expected: str, got: str) -> None:
        super().__init__(f"line {line}: expected {expected}, got {got[:60]!r}")
        self.line = line


def read_notice_text(path: Path | None = None) -> str:
    """The notice at ``path`` (``settings.notice_path``), or the verbatim copy shipped in ``corpus/data``."""
    if path is not None:
        return path.read_text(encoding="utf-8")
    return resources.files("corpus").joinpath("data", NOTICE_FILE).read_text(encoding="utf-8")


def load_notice(path: Path | None = None) -> Notice:
    """The parsed notice at ``path`` (``settings.notice_path``); the packaged copy when None."""
    return parse_notice(read_notice_text(path))


def corpus_hash(text: str | None = None) -> str:
    return hashlib.sha256((text if text is not None else read_notice_text()).encode("utf-8")).hexdigest()


def split_sentences(text: str) -> tuple[str, ...]:
    """Split at 。！？； keeping the mark; quotes stay with their sentence."""
    return tuple(s for s in (m.group(0).strip() for m in _SENTENCE.finditer(text)) if s)


def parse_units(cell: str, line: int = 0) -> tuple[Assignment, ...]:
    """Read a 责任单位 cell into units with roles.

    Comma groups are read in order. In the first group the first unit leads and the units beside it
    (、) share the responsibility; units after 会同 assist. Units of later comma groups share it too.
    「有关部门和行业协会」 names two units. Unknown units raise NoticeParseError.
    """
    folded = unicodedata.normalize("NFKC", cell).strip()
    if not folded:
        raise NoticeParseError(line, "a 责任单位 cell", cell)
    out: list[Assignment] = []
    for g, group in enumerate(p.strip() for p in folded.split(",")):
        if not group:
            raise NoticeParseError(line, "a unit between commas", cell)
        before, _, after = group.partition("会同")
        for part, assisting in ((before, False), (after, True)):
            if not part:
                continue
            for raw in _split_names(part, line, cell):
                unit = resolve(raw)
                if unit is None:
                    raise NoticeParseError(line, "a unit of the agency table", raw)
                if assisting:
                    role = Role.ASSIST
                elif g == 0 and not out:
                    role = Role.LEAD
                else:
                    role = Role.CO
                if any(a.unit == unit.name for a in out):
                    raise NoticeParseError(line, "each unit once per task", raw)
                out.append(Assignment(unit.name, role, raw))
    return tuple(out)


def _split_names(part: str, line: int, cell: str) -> list[str]:
    names: list[str] = []
    for name in part.split("、"):
        name = name.strip()
        if not name:
            raise NoticeParseError(line, "a unit between 、", cell)
        if resolve(name) is None and "和" in name:
            names.extend(n.strip() for n in name.split("和"))
        else:
            names.append(name)
    return names


def parse_notice(text: str | None = None) -> Notice:
    """Parse the whole notice (the shipped copy by default)."""
    text = read_notice_text() if text is None else text
    lines = [(i + 1, ln.strip()) for i, ln in enumerate(text.splitlines())]
    body = [(n, ln) for n, ln in lines if ln]
    it = iter(body)

    def take(expected: str) -> tuple[int, str]:
        try:
            return next(it)
        except StopIteration:
            raise NoticeParseError(len(lines), expected, "<end of text>") from None

    n, issuer = take("the issuer")
    if not issuer.endswith(("办公室", "政府")):
        raise NoticeParseError(n, "the issuing office", issuer)
    n, doc_number = take("the document number")
    if not _DOC_NUMBER.match(doc_number):
        raise NoticeParseError(n, "a document number like 六政办秘〔2018〕123号", doc_number)
    n, title_line = take("the title")
    if not title_line.startswith(issuer) or "通知" not in title_line:
        raise NoticeParseError(n, "a title starting with the issuer", title_line)
    title = title_line[len(issuer) :].strip()
    n, addressees = take("the addressees")
    if not addressees.endswith(("：", ":")):
        raise NoticeParseError(n, "the addressees ending with a colon", addressees)
    addressees = addressees.rstrip("：:")
    n, pre = take("the preamble")
    m = _IMPLEMENTS.search(pre)
    if not pre.startswith("为") or m is None:
        raise NoticeParseError(n, "a preamble naming the document it implements", pre)
    preamble = Clause(0, "", pre, split_sentences(pre))

    clauses: list[Clause] = []
    n, ln = take("clause 一")
    while (cm := _CLAUSE.match(ln)) is not None:
        number = _NUMERALS.index(cm.group(1)) + 1
        if number != len(clauses) + 1:
            raise NoticeParseError(n, f"clause {_NUMERALS[len(clauses)]}", ln)
        heading = cm.group(2).split("。", 1)[0]
        clauses.append(Clause(number, heading, ln, split_sentences(ln)))
        n, ln = take("a clause or the attachment line")
    if not clauses:
        raise NoticeParseError(n, "clause 一、", ln)
    if not ln.startswith("附件：") and not ln.startswith("附件:"):
        raise NoticeParseError(n, "附件：<title>", ln)
    attachment_title = ln[3:].strip()

    n, ln = take("the attachment mark")
    if ln != "附件":
        raise NoticeParseError(n, "附件", ln)
    n, ln = take("the attachment title")
    if ln != attachment_title:
        raise NoticeParseError(n, attachment_title, ln)
    n, ln = take("the table header")
    if ln.split("\t") != ["序号", "工作任务", "主要内容", "责任单位"]:
        raise NoticeParseError(n, "序号/工作任务/主要内容/责任单位 columns", ln)

    tasks: list[Task] = []
    category = ""
    cc = ""
    for n, ln in it:
        if ln.startswith(("抄送：", "抄送:")):
            cc = ln[3:].strip().rstrip("。")
            break
        cells = ln.split("\t")
        if len(cells) != 4:
            raise NoticeParseError(n, "a table row of 4 tab-separated cells", ln)
        num, cat, content, units = (c.strip() for c in cells)
        if not num.isdigit() or int(num) != len(tasks) + 1:
            raise NoticeParseError(n, f"task number {len(tasks) + 1}", num)
        if cat:
            category = cat
        elif not category:
            raise NoticeParseError(n, "a category in the first row", ln)
        if not content:
            raise NoticeParseError(n, "the task's content", ln)
        tasks.append(
            Task(int(num), category, content, units, parse_units(units, n), split_sentences(content))
        )
    else:
        raise NoticeParseError(len(lines), "the 抄送 line", "<end of text>")
    for n, ln in it:
        raise NoticeParseError(n, "nothing after 抄送", ln)
    if not tasks:
        raise NoticeParseError(n, "at least one task", "")

    categories = tuple(dict.fromkeys(t.category for t in tasks))
    header = Header(
        issuer=issuer,
        doc_number=doc_number,
        title=title,
        addressees=addressees,
        implements=m.group(1),
        attachment_title=attachment_title,
        cc=cc,
    )
    return Notice(header, preamble, tuple(clauses), tuple(tasks), categories, text)
