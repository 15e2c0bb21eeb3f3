"""Does a hand merge of two dormant stories take their own backfill? (docs/stories.md, "Hand edits")

    python benchmarks/merge_backfill.py --db /tmp/b13a/kiemchung.db --stories 1759 2774 [--merge]

The store is copied first (``--work``, default /tmp/merge-backfill.db); the original is never written.
Copies of 20 documents of each story (evenly spaced, by document id) are stored under new keys, without
their near-duplicate links, at their originals' publication times; with ``--merge``, ``kiemchung stories
merge A B`` follows (journalled, like an editor's); then ``kiemchung stories run`` places the copies (the
stage loads the saved state and replays the merge). Printed: for each story the copies went to, its id,
status, document count, and how many copies of each original story it took. Run it with ``PYTHONPATH``
set to another checkout to compare versions on the same copies. Not timed (no lock needed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

PER_STORY = 20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--stories", type=int, nargs=2, required=True, metavar=("A", "B"))
    ap.add_argument("--merge", action="store_true", help="merge B into A by hand before the copies are placed")
    ap.add_argument("--work", default="/tmp/merge-backfill.db")
    args = ap.parse_args()
    a, b = args.stories
    args.work = str(Path(args.work).resolve())
    shutil.copyfile(args.db, args.work)
    con = sqlite3.connect(args.work)
    picked: dict[int, int] = {}  # original document -> its story
    for story in (a, b):
        docs = [r[0] for r in con.execute("SELECT doc_id FROM story_documents WHERE story_id = ? ORDER BY doc_id", (story,))]
        step = max(1, len(docs) // PER_STORY)
        picked.update({d: story for d in docs[::step][:PER_STORY]})
    marks = ",".join("?" * len(picked))
    con.execute(f"""
        INSERT INTO documents (doc_key, url, source_id, kind, platform, external_id, title, lead, body, author_hash,
                               published_at, fetched_at, language, content_hash, engagement, meta)
        SELECT 'copy-' || id, url || '#copy', source_id, kind, platform, NULL, title, lead, body, author_hash,
               published_at, fetched_at, language, 'copy' || content_hash, engagement, meta
        FROM documents WHERE id IN ({marks}) ORDER BY published_at, id""", list(picked))
    con.commit()
    kc = [sys.executable, "-m", "kiemchung.cli", "--db", args.work]
    # run from the work file's folder: ``-m`` puts the current folder first on the path, before a
    # PYTHONPATH naming another checkout to compare with
    where = {"env": dict(os.environ), "cwd": str(Path(args.work).parent)}
    if args.merge:
        subprocess.run([*kc, "stories", "merge", str(a), str(b)], check=True, **where)
    subprocess.run([*kc, "stories", "run"], check=True, **where)
    rows = con.execute("""
        SELECT d.doc_key, s.id, s.status, s.doc_count FROM documents d
        JOIN story_documents sd ON sd.doc_id = d.id JOIN stories s ON s.id = sd.story_id
        WHERE d.doc_key LIKE 'copy-%'""").fetchall()
    went: dict[int, dict[int, int]] = {}
    info: dict[int, tuple[str, int]] = {}
    for key, sid, status, count in rows:
        origin = picked[int(key.removeprefix("copy-"))]
        went.setdefault(sid, {}).setdefault(origin, 0)
        went[sid][origin] += 1
        info[sid] = (status, count)
    print(f"{len(rows)} copies of {len(picked)} ({'merged' if args.merge else 'no edit'}); by story:")
    for sid, by in sorted(went.items(), key=lambda kv: -sum(kv[1].values())):
        status, count = info[sid]
        parts = ", ".join(f"{n} of {o}" for o, n in sorted(by.items()))
        print(f"  story {sid} ({status}, {count} documents): {parts}")
    con.close()
    Path(args.work).unlink()


if __name__ == "__main__":
    main()
