"""What author scrubbing costs on the ingest path: the same Facebook-style posts with hash_authors on and off.

Invented posts (nested ``from``, a comment with its own ``from``, a profile link) are written to a temporary
JSONL file, read with the import reader, and stored through ``Ingestor.add`` into a fresh SQLite file once
with ``hash_authors`` on (every raw payload scrubbed, see kiemchung/privacy.py) and once off (stored as
received: the baseline, what the store did before scrubbing existed). Each is run ``--rounds`` times,
alternating; the best of each is compared. Also prints the scrubber alone (µs per post).

    python benchmarks/bench_privacy.py [--posts 10000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

WORDS = ["nước", "máy", "xã", "huyện", "tỉnh", "người", "dân", "cầu", "đường", "mưa", "lũ", "giá", "vàng", "điện", "trường", "học", "bệnh", "viện", "chợ", "tin", "đồn", "thông", "báo"]


def write_posts(path: Path, n: int) -> None:
    rnd = random.Random(1)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            text = " ".join(rnd.choice(WORDS) for _ in range(40)) + f" số {i}"
            rec = {"id": f"fb-{i}", "message": text,
                   "created_time": f"2026-03-{1 + i % 28:02d}T08:{i % 60:02d}:00+07:00",
                   "permalink_url": f"https://www.facebook.com/permalink.php?story_fbid={i}&id=99",
                   "from": {"name": f"Người Dùng {i % 500}", "id": str(100000 + i % 500),
                            "link": f"https://www.facebook.com/user.{i % 500}"},
                   "reactions": {"summary": {"total_count": i % 50}}, "shares": {"count": i % 7},
                   "comments": {"data": [{"message": "ok", "from": {"name": f"Bình Luận {i % 77}"}}]}}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()

    from kiemchung.ingest import Ingestor
    from kiemchung.privacy import hash_handle, scrub_document
    from kiemchung.sources.imports import iter_import
    from kiemchung.store import Database

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "posts.jsonl"
        write_posts(src, args.posts)
        best: dict[str, float] = {}
        for rnd in range(1, args.rounds + 1):
            for mode in ("1", "0"):
                db = Database(Path(tmp) / f"r{rnd}-{mode}.db")
                db.set_setting("hash_authors", mode)
                docs = [r.document for r in iter_import(src, platform="facebook") if r.document]
                start = time.perf_counter()
                Ingestor(db).add(docs)
                took = time.perf_counter() - start
                db.close()
                best[mode] = min(best.get(mode, took), took)
                print(f"round {rnd} hash_authors={mode}: {len(docs)} posts stored in {took:.2f} s", flush=True)
        docs = [r.document for r in iter_import(src, platform="facebook") if r.document]
        start = time.perf_counter()
        for d in docs:
            scrub_document(d, lambda s: hash_handle(s, "0123456789abcdef"))
        alone = (time.perf_counter() - start) / len(docs) * 1e6
    print(f"scrubber alone: {alone:.0f} µs per post")
    print(f"best of {args.rounds}: on {best['1']:.2f} s, off (baseline) {best['0']:.2f} s, "
          f"ratio on/off {best['1'] / best['0']:.2f}")


if __name__ == "__main__":
    main()
