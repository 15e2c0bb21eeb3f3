"""How many of the clusterer's terms a stream uses within a window of days, against all it has seen.

A store-backed vocabulary would keep in memory only the terms seen recently; this measures whether
that set stays flat over a long import. It streams the RSS year (title and summary, as `kiemchung
import` gives them to the story stage) in publication order through the clusterer's own term
weighting (`kiemchung.stories.features.term_weights`) and prints, every 10,000 items, the number of
terms seen so far, those last seen within 3, 7 and 30 days of the current item, and those held by
16 documents or more (`vocabulary.PROMOTE_AT`, the terms the vocabulary keeps in its dict). For the
block's items it also prints how many of an item's terms, on average, are new and how many were seen
before but not within 7 days: what a vocabulary holding only the last 7 days in memory would look up
in the database.

Usage::

    python benchmarks/term_window.py [--data ../shared/data] [--limit N]
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from bench_cluster import _rss_rows  # (publication order)

from kiemchung.stories.config import ClusterConfig
from kiemchung.stories.features import term_weights
from kiemchung.stories.vocabulary import PROMOTE_AT

WINDOWS = (3, 7, 30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[1] / ".." / "shared" / "data"))
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    rows = [r for r in _rss_rows(Path(args.data) / "rss-2025-2026.jsonl.gz", None) if r.get("published")]
    if args.limit:
        rows = rows[: args.limit]
    weights = ClusterConfig().field_weights()
    last: dict[str, float] = {}
    df: dict[str, int] = {}
    print("items  terms  " + "  ".join(f"within_{w}d" for w in WINDOWS) + f"  df>={PROMOTE_AT}"
          + "  new_per_item  older_than_7d_per_item")
    new = cold = items = 0
    for k, row in enumerate(rows, 1):
        day = dt.datetime.fromisoformat(row["published"]).timestamp() / 86400
        items += 1
        for term in term_weights(row.get("title") or "", row.get("summary") or "", "", weights):
            seen = last.get(term)
            if seen is None:
                new += 1
            elif seen < day - 7:
                cold += 1
            last[term] = day
            df[term] = df.get(term, 0) + 1
        if k % 10_000 == 0 or k == len(rows):
            within = [sum(1 for v in last.values() if v >= day - w) for w in WINDOWS]
            frequent = sum(1 for v in df.values() if v >= PROMOTE_AT)
            print(k, len(last), *within, frequent, f"{new / items:.2f}", f"{cold / items:.2f}", sep="  ", flush=True)
            new = cold = items = 0


if __name__ == "__main__":
    main()
