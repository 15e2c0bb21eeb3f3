"""Entity extraction throughput: underthesea NER (+ place scan) against the plain place scan.

Reads the first N items (default 2,000) of /work/shared/data/rss-2025-2026.jsonl.gz (title +
summary; no body in this file), and prints, in the same run:

* baseline: ``find_places`` (dictionary scan over folded syllables) on title + summary;
* ``extract_entities(..., ner=True)``: NER on the title and summary sentences plus the place scan;
* NER sentences per second, and the ratio of the two;
* how many items name a province, by the scan alone and after NER.

Usage: python benchmarks/bench_entities.py [--n 2000] [--path FILE]
"""

from __future__ import annotations

import argparse
import gzip
import json
import time

from kiemchung.entities import extract_entities, ner_sentences
from kiemchung.places import find_places

DATA = "/work/shared/data/rss-2025-2026.jsonl.gz"


def load(path: str, n: int) -> list[tuple[str, str]]:
    """(title, summary) of the first n items."""
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            out.append((item.get("title") or "", item.get("summary") or ""))
            if len(out) >= n:
                break
    return out


def main() -> None:
    """Run the benchmark and print figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--path", default=DATA)
    args = ap.parse_args()
    items = load(args.path, args.n)
    extract_entities("Khởi động Hà Nội", "Ông Nguyễn Văn A đến Bộ Y tế.")  # load the NER model first

    t0 = time.perf_counter()
    scan_hits = sum(1 for title, lead in items if find_places(title + "\n" + lead))
    t_scan = time.perf_counter() - t0

    sentences = sum(len(ner_sentences(title, lead, "")) for title, lead in items)
    t0 = time.perf_counter()
    kinds: dict[str, int] = {}
    for title, lead in items:
        for kind, *_ in extract_entities(title, lead, ""):
            kinds[kind] = kinds.get(kind, 0) + 1
    t_ner = time.perf_counter() - t0

    n = len(items)
    print(f"items: {n}, NER sentences: {sentences}")
    print(f"baseline find_places: {t_scan:.3f} s  {n / t_scan:,.0f} items/s  ({scan_hits} items name a province)")
    print(f"extract_entities (NER + places): {t_ner:.1f} s  {n / t_ner:,.1f} items/s  {sentences / t_ner:,.1f} sentences/s")
    print(f"ratio: NER stage is {t_ner / t_scan:,.0f}x slower than the place scan")
    print("entities by kind: " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))


if __name__ == "__main__":
    main()
