"""The slow background stages on a real database: named entities and story keywords.

    python benchmarks/bench_slow_stages.py --db bench-out/web-stories.db [--docs 1000] [--stories 300]

Works on a copy of the database (the original is not written). Prints, in the same run:

* the story clusterer's assignment rate on the same documents (the fast path these stages must never
  hold up), as the baseline;
* the entity stage with underthesea NER, and with the dictionary place scan only;
* the keyword stage (underthesea word segmentation of each story's newest titles and leads);
* the ratios to the baseline, and a sample of stories with their keywords.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, select  # noqa: E402

from kiemchung.entities import EntityStage  # noqa: E402
from kiemchung.store import Database  # noqa: E402
from kiemchung.store import progress  # noqa: E402
from kiemchung.store import schema as t  # noqa: E402
from kiemchung.stories import tables as st  # noqa: E402
from kiemchung.stories.cluster import StoryClusterer  # noqa: E402
from kiemchung.stories.keywords import KeywordStage  # noqa: E402
from kiemchung.stories.service import list_stories  # noqa: E402


def _entity_rate(db, *, ner: bool, limit: int):
    """Run the entity stage from scratch on ``limit`` documents; return (report, documents per second)."""
    with db.write() as conn:
        conn.execute(delete(t.metadata.tables["document_entities"]))
        progress.reset(db, progress.ENTITIES)
    start = time.perf_counter()
    rep = EntityStage(db, ner=ner).run(limit=limit)
    return rep, rep.documents / (time.perf_counter() - start)


def main() -> None:
    """Run the benchmark and print figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="a database whose stories have been assigned")
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--stories", type=int, default=300)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kc-slow-"))
    try:
        copy = tmp / "copy.db"
        shutil.copy(args.db, copy)
        db = Database(copy)
        d = t.documents
        with db.read() as conn:
            rows = conn.execute(select(d.c.id, d.c.title, d.c.lead, d.c.body, d.c.published_at)
                                .order_by(d.c.id).limit(args.docs)).all()
            db_docs = conn.execute(select(d.c.id).order_by(d.c.id.desc()).limit(1)).scalar() or 0
        print(f"database: {copy.name} copy of {args.db} ({db_docs:,} documents)")

        start = time.perf_counter()
        clusterer = StoryClusterer()
        for r in rows:
            clusterer.add(str(r.id), title=r.title or "", lead=r.lead or "", body=r.body or "", published_at=r.published_at)
        base = len(rows) / (time.perf_counter() - start)
        print(f"baseline  story assignment (clusterer.add)       {base:9,.0f} docs/s  ({len(rows)} documents)")

        for ner, label in ((False, "place scan only (ner=False)        "), (True, "underthesea NER + place scan       ")):
            rep, rate = _entity_rate(db, ner=ner, limit=args.docs)
            print(f"entities  {label}     {rate:9,.1f} docs/s  cost {base / rate:6.1f}x assignment  ({rep.entities} entities)")

        with db.write() as conn:
            conn.execute(delete(st.story_keywords))
        kw = KeywordStage(db).run(limit=args.stories)
        print(f"keywords  word segmentation of titles + leads    {kw.stories / kw.seconds:9,.1f} stories/s "
              f"{kw.documents / kw.seconds:8,.1f} docs/s  cost {base / (kw.documents / kw.seconds):6.1f}x assignment"
              f"  ({kw.stories} stories, {kw.documents} documents)")
        print("\nsample: the largest stories that have keywords")
        shown = 0
        for s in list_stories(db, min_docs=3, limit=2000):
            if s.keywords and "_" not in "".join(s.keywords) and shown < 8:
                print(f"  #{s.id:<6} {s.doc_count:>4} docs  {s.headline[:60]:60}  | {', '.join(s.keywords[:8])}")
                shown += 1
        db.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
