"""How much the stories depend on how terms are numbered: first appearance (the product), the same
terms in another order, or no vocabulary at all (feature hashing).

The clusterer numbers terms 0, 1, 2, ... in order of first appearance (``kiemchung.stories.vocabulary``).
This script swaps in a numbering of its own for the whole run and reports what changes:

* ``first``: the product's numbering (a check that the harness changes nothing);
* ``random:SEED`` / ``reverse``: the same terms and counts, ids in another order (only ties between
  equal weights can change: which of a document's terms its vector keeps);
* ``hash:BITS``: a term's id is the CRC-32 of its UTF-8 text modulo ``2**BITS`` (a fixed array of
  counts, no vocabulary); two terms in one bucket share their id and their document frequency.

Usage::

    python benchmarks/term_ids.py first random:1 reverse hash:22 [--data ../shared/data] [--rss]

For each scheme it prints the four orders of ``kiemchung eval stories`` on stories-dev; with ``--rss``
it also streams the RSS year in publication order and prints the BCubed agreement of its stories
with those of ``first`` (the first scheme given must then be ``first``). A measurement harness, not
a product path: docs/stories.md, "Session 19", gives its figures.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import zlib
from pathlib import Path

from bench_cluster import _rss_rows  # (publication order)

import kiemchung.stories.cluster as cluster
from kiemchung.stories.evaluate import bcubed, evaluate_orders
from kiemchung.stories.vocabulary import TermTable

SPACE = 1 << 21  # ids of the reordering schemes (more than the RSS year's terms)


def numbering(scheme: str) -> type[TermTable]:
    """A TermTable whose ``number`` gives ids by ``scheme`` (all the evaluation path calls)."""
    if scheme == "first":
        return TermTable
    kind, _, arg = scheme.partition(":")
    if kind == "hash":
        size = 1 << int(arg or 22)
    elif kind in ("random", "reverse"):
        size = SPACE
    else:
        raise SystemExit(f"unknown scheme {scheme!r} (first, random:SEED, reverse, hash:BITS)")
    order = list(range(size))
    if kind == "random":
        random.Random(int(arg or 1)).shuffle(order)
    elif kind == "reverse":
        order.reverse()

    class Numbering(TermTable):
        def __init__(self) -> None:
            super().__init__()
            self.ids: dict[str, int] = {}
            self.texts: dict[int, str] = {}

        def _id(self, term: str) -> int:
            if kind == "hash":
                return zlib.crc32(term.encode("utf-8", "surrogatepass")) & (size - 1)
            i = self.ids.get(term)
            if i is None:
                i = self.ids[term] = order[len(self.ids)]
            return i

        def number(self, tf: dict[str, float], df: list[int]) -> list[int]:
            if len(df) < size:
                df.extend([0] * (size - len(df)))
            ids = [self._id(t) for t in tf]
            for t, i in zip(tf, ids, strict=True):
                self.texts.setdefault(i, t)
            for i in set(ids):  # a document counts once per id (two of its terms may share a bucket)
                df[i] += 1
            return ids

        def lookup(self, term: str) -> int | None:
            return self._id(term)

        def __getitem__(self, i: int) -> str:
            return self.texts.get(i, "")

        def __len__(self) -> int:
            return size

    return Numbering


def rss_stories(path: Path) -> tuple[dict[str, str], float]:
    rows = _rss_rows(path, None)  # in publication order
    c = cluster.StoryClusterer()
    cpu = time.process_time()
    for r in rows:
        c.add(r["id"], title=r.get("title") or "", lead=r.get("summary") or "", published_at=r.get("published"))
    c.reconcile()
    return c.assignments(), time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("schemes", nargs="+")
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[1] / ".." / "shared" / "data"))
    ap.add_argument("--rss", action="store_true", help="also compare the RSS year's stories with 'first'")
    args = ap.parse_args()
    data = Path(args.data)
    if args.rss and args.schemes[0] != "first":
        raise SystemExit("--rss compares with 'first': give it first")
    reference: dict[str, str] | None = None
    for scheme in args.schemes:
        cluster.TermTable = numbering(scheme)  # what StoryClusterer() builds from now on
        res = evaluate_orders(data / "stories-dev.jsonl")
        line = {k: round(v, 4) for k, v in res.items() if k.endswith("_bcubed_f1")}
        if args.rss:
            stories, cpu = rss_stories(data / "rss-2025-2026.jsonl.gz")
            if reference is None:
                reference = stories
            p, r, f = bcubed(stories, reference)
            line.update(rss_stories=len(set(stories.values())), rss_cpu_s=round(cpu, 1),
                        rss_vs_first=dict(p=round(p, 4), r=round(r, 4), f1=round(f, 4)))
        print(scheme, json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
