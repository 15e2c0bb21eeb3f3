"""Throughput of the Vietnamese text core on real RSS items.

Reads the first N items (default 20,000) of ``../shared/data/rss-2025-2026.jsonl.gz`` (title and
summary joined), then times each function over all items and prints items per second, microseconds
per item and the ratio to a baseline measured in the same run: ``unicodedata.normalize("NFC")``
followed by ``str.split()``. The target for ingest is normalize + index_terms well under 100 µs per
220-character item (≥ 2,000 items/s for the whole ingest path).

    python benchmarks/bench_text.py [--items 20000] [--data PATH]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiemchung import text  # noqa: E402
from kiemchung.text import core, mojibake  # noqa: E402


def load(path: Path, n: int) -> list[str]:
    """First ``n`` items of the RSS dump as "title. summary" strings."""
    items: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            items.append(f"{d.get('title') or ''}. {d.get('summary') or ''}")
            if len(items) >= n:
                break
    return items


def timed(fn: Callable[[str], object], items: list[str]) -> float:
    """Seconds for one pass of ``fn`` over ``items`` (best of two passes)."""
    best = float("inf")
    for _ in range(2):
        t0 = time.perf_counter()
        for it in items:
            fn(it)
        best = min(best, time.perf_counter() - t0)
    return best


def baseline(s: str) -> list[str]:
    """What a naive pipeline would do: NFC and split on white space."""
    return unicodedata.normalize("NFC", s).split()


def ingest_path(s: str) -> list[str]:
    """normalize + index_terms, as the ingest path calls them."""
    return text.index_terms(text.normalize(s))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=20_000)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "rss-2025-2026.jsonl.gz")
    args = ap.parse_args()
    items = load(args.data, args.items)
    n = len(items)
    mean_len = sum(len(s) for s in items) / n
    print(f"{n} items, mean length {mean_len:.0f} characters")

    # Cold cache pass: the first normalize over the corpus fills the per-word and per-chunk caches.
    core.clear_caches()
    t0 = time.perf_counter()
    for it in items:
        text.normalize(it)
    cold = time.perf_counter() - t0
    print(f"normalize, cold word cache: {n / cold:10.0f} items/s  {cold / n * 1e6:7.1f} µs/item")

    base = timed(baseline, items)
    print(f"{'baseline NFC+split':28s} {n / base:10.0f} items/s  {base / n * 1e6:7.1f} µs/item  ratio 1.00")
    normalized = [text.normalize(s) for s in items]
    runs: list[tuple[str, Callable[[str], object], list[str]]] = [
        ("normalize", text.normalize, items),
        ("fold", text.fold, items),
        ("index_terms", text.index_terms, items),
        ("normalize + index_terms", ingest_path, items),
        ("index_terms(teencode=True)", lambda s: text.index_terms(s, teencode=True), items),
        ("token_spans", text.token_spans, normalized),
        ("sentences", text.sentences, items),
        ("detect_language", text.detect_language, items),
        ("repair_mojibake", text.repair_mojibake, items),
    ]
    for name, fn, data in runs:
        t = timed(fn, data)
        print(f"{name:28s} {n / t:10.0f} items/s  {t / n * 1e6:7.1f} µs/item  ratio {t / base:5.2f}")

    few = items[:1000]
    t = timed(text.words, few) / len(few) * n
    print(
        f"{'words (underthesea, 1,000)':28s} {n / t:10.0f} items/s  {t / n * 1e6:7.1f} µs/item  ratio {t / base:5.2f}"
    )

    # Scaled to the 220-character item of the target.
    t = timed(ingest_path, items)
    per_220 = t / n * 1e6 * 220 / mean_len
    print(f"normalize + index_terms scaled to 220 characters: {per_220:.1f} µs (target < 100 µs)")
    mojibake_check(items[::7][:3000])


def _legacy_encoders() -> dict[str, Callable[[str], str]]:
    """Encoders inverting the decoder tables (for measuring recall; the tests use separate ones)."""
    vni = {uni: seq for seq, uni in mojibake._VNI.items() if seq.isupper() == uni.isupper()}
    tcvn3 = {uni: chr(code) for code, uni in mojibake._TCVN3.items()}

    def enc_vni(s: str) -> str:
        return "".join(vni.get(c, c) for c in s)

    def enc_tcvn3(s: str) -> str:
        return "".join(tcvn3.get(c, tcvn3.get(c.lower(), c)) for c in s)

    def enc_utf8(s: str) -> str:
        undefined = (0x81, 0x8D, 0x8F, 0x90, 0x9D)  # kept as Latin-1 by lenient readers
        return "".join(chr(b) if b in undefined else bytes([b]).decode("cp1252") for b in s.encode("utf-8"))

    return {"vni": enc_vni, "tcvn3": enc_tcvn3, "utf-8": enc_utf8}


def mojibake_check(sample: list[str]) -> None:
    """Real items must never change; the same items damaged by us must come back."""
    changed = sum(text.repair_mojibake(s)[1] is not None for s in sample)
    print(f"repair_mojibake on {len(sample)} real items: {changed} changed (must be 0)")
    for name, enc in _legacy_encoders().items():
        ok = 0
        for s in sample:
            out, found = text.repair_mojibake(enc(s))
            ok += found == name and out.lower() == s.lower()
        print(
            f"  {name:6s} damage repaired exactly (ignoring case): {ok}/{len(sample)} = {ok / len(sample):.2%}"
        )


if __name__ == "__main__":
    main()
