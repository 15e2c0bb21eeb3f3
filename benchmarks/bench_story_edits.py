"""Hand edits of stories (merge, split) on a large store: what an edit costs, against the cost of
loading and saving the whole clusterer state (what every edit paid before edits were journalled).

    flock /work/bench.lock python benchmarks/bench_story_edits.py --db bench-out/web-stories.db

The store is copied first (``--work``, default /tmp/bench-story-edits.db); the original is never
written. Printed, in one run on the same copy:

- baseline: ``StoryStage`` loading the saved state, and saving it (the old edit path did both);
- ``service.merge_stories`` (the two largest stories) and ``service.split_story`` (a third of the
  largest remaining story), each on the library and through the web API (``POST /api/v1/stories/...``,
  a real app in process with an editor token);
- the replay: a stage holding the state takes the journalled edits in (its next sync), and the cost of
  a stage that has to load the state and replay them;
- checks that the tables and a replaying stage agree with the edits.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiemchung.store import Database
from kiemchung.stories import service
from kiemchung.stories import tables as st


def timed(fn):
    """(seconds, result) of one call."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def largest(db, n: int, skip: set[int] = frozenset()) -> list[int]:
    """Ids of the ``n`` largest live stories (not in ``skip``)."""
    s = st.stories
    with db.read() as conn:
        rows = conn.execute(
            select(s.c.id).where(s.c.status != "merged").order_by(s.c.doc_count.desc(), s.c.id).limit(n + len(skip))
        ).scalars()
        return [r for r in rows if r not in skip][:n]


def members(db, story_id: int) -> list[int]:
    """The document ids of a story, in id order."""
    sd = st.story_documents
    with db.read() as conn:
        return list(conn.execute(select(sd.c.doc_id).where(sd.c.story_id == story_id).order_by(sd.c.doc_id)).scalars())


def web_client(db):
    """A TestClient on the real app with an editor's Bearer token."""
    from fastapi.testclient import TestClient

    from kiemchung import users as U
    from kiemchung.web import create_app

    name = f"bench{int(time.time())}"
    U.add_user(db, name, "matkhau-bench-123", "editor")
    token = U.create_token(db, name)
    client = TestClient(create_app(db))
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def main() -> int:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default="bench-out/web-stories.db")
    ap.add_argument("--work", default="/tmp/bench-story-edits.db")
    ap.add_argument("--repeat", type=int, default=3, help="library edits of each kind (web: one each)")
    ap.add_argument("--no-baseline", action="store_true", help="skip loading/saving the whole state")
    args = ap.parse_args()

    t, _ = timed(lambda: shutil.copyfile(args.db, args.work))
    db = Database(args.work)
    with db.read() as conn:
        n_docs = conn.execute(select(func.count()).select_from(st.story_documents)).scalar()
        n_stories = conn.execute(select(func.count()).select_from(st.stories)).scalar()
    print(f"store: {args.db} copied to {args.work} in {t:.1f} s; {n_docs:,} assigned documents, {n_stories:,} stories")

    fast = hasattr(service, "merge_stories")
    base = {}
    if not args.no_baseline:
        # A stage loads the saved state when created (before) or on first use (now): time both together.
        base["load"], stage = timed(lambda: (s := service.StoryStage(db), s.clusterer)[0])
        base["save"], ok = timed(stage.save)
        print(f"baseline: load the whole clusterer state {base['load']:.1f} s, save it {base['save']:.1f} s "
              f"(saved: {ok}); old edit path = load + edit + save >= {base['load'] + base['save']:.1f} s")
        held = stage
    else:
        held = None

    merge_s, split_s = [], []
    used: set[int] = set()
    for _ in range(args.repeat):
        a, b = largest(db, 2, used)
        used |= {a, b}
        if fast:
            t, kept = timed(lambda a=a, b=b: service.merge_stories(db, a, b, user="bench"))
        else:
            t, kept = timed(lambda a=a, b=b: service.StoryStage(db).merge(a, b, user="bench"))
        assert kept == a and members(db, b) == [], "merge did not move the documents"
        merge_s.append(t)
        (c,) = largest(db, 1, used)
        used.add(c)
        docs = members(db, c)
        part = docs[: max(1, len(docs) // 3)]
        if fast:
            t, new = timed(lambda c=c, part=part: service.split_story(db, c, part, user="bench"))
        else:
            t, new = timed(lambda c=c, part=part: service.StoryStage(db).split(c, part, user="bench"))
        assert members(db, new) == part, "split did not move the documents"
        split_s.append(t)
    print(f"library merge_stories: {', '.join(f'{x * 1000:.0f}' for x in merge_s)} ms "
          f"(median {statistics.median(merge_s) * 1000:.0f} ms)")
    print(f"library split_story:   {', '.join(f'{x * 1000:.0f}' for x in split_s)} ms "
          f"(median {statistics.median(split_s) * 1000:.0f} ms)")

    client = web_client(db)
    a, b = largest(db, 2, used)
    used |= {a, b}
    t, r = timed(lambda: client.post(f"/api/v1/stories/{a}/merge", json={"other": b}))
    print(f"web POST /api/v1/stories/{a}/merge: {r.status_code} in {t * 1000:.0f} ms")
    web = [t]
    (c,) = largest(db, 1, used)
    part = members(db, c)[:2]
    t, r = timed(lambda: client.post(f"/api/v1/stories/{c}/split", json={"doc_ids": part}))
    print(f"web POST /api/v1/stories/{c}/split: {r.status_code} in {t * 1000:.0f} ms")
    web.append(t)

    if fast and held is not None:
        with db.write() as conn:
            t, _ = timed(lambda: held._sync(conn))
        print(f"replay: a stage holding the state takes the {args.repeat * 2 + 2} edits in {t * 1000:.0f} ms")
        again = service.StoryStage(db)
        t, _ = timed(lambda: again.clusterer)
        sid = held.clusterer.story_of(str(part[0]))
        assert again.clusterer.story_of(str(part[0])) == sid, "two stages disagree after replay"
        print(f"a new stage loads the state and replays them in {t:.1f} s; both place the split documents in {sid}")
        t, ok = timed(held.save)
        print(f"the held stage saves the replayed state once: {t:.1f} s (saved: {ok})")

    if base:
        old = base["load"] + base["save"]
        print(f"ratio: old edit path (load + save) / median library edit = "
              f"merge {old / statistics.median(merge_s):,.0f}x, split {old / statistics.median(split_s):,.0f}x; "
              f"web edits {web[0]:.2f} s / {web[1]:.2f} s against {old:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
