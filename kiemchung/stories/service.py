"""Stories in the store: the streaming assignment stage, hand edits, and reading stories back.

:class:`StoryStage` feeds stored documents, in id order, through the
:class:`~kiemchung.stories.cluster.StoryClusterer` and writes what it decides to the ``stories`` and
``story_documents`` tables. The clusterer is deterministic, so the stage can save its state only every
few thousand documents: after a crash it resumes from the saved state and re-derives the same
assignments for the documents after it.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select, update

from kiemchung import timeutil
from kiemchung.errors import NotFoundError
from kiemchung.models import Document
from kiemchung.store import Database, document_from_row
from kiemchung.store import schema as t
from kiemchung.stories import tables as st
from kiemchung.stories.cluster import ClusterConfig, StoryClusterer

SAVE_EVERY_DOCS = 5000


@dataclass
class StoryRow:
    """A story as listed: stable id, headline, counts and times."""

    id: int
    key: str
    headline: str
    doc_count: int
    outlet_count: int
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    keywords: list[str]
    status: str
    terms: list[str] = field(default_factory=list)


@dataclass
class StoryDetail:
    """A story with its documents, outlets and timeline."""

    story: StoryRow
    documents: list[Document]
    outlets: list[tuple[str, int]]
    timeline: list[tuple[str, int]]
    edits: list[dict] = field(default_factory=list)


def _row(r, words: list[str] | None = None) -> StoryRow:
    terms = list(r.keywords or [])
    return StoryRow(
        id=r.id,
        key=r.key,
        headline=r.headline,
        doc_count=r.doc_count,
        outlet_count=r.outlet_count,
        first_seen=r.first_seen,
        last_seen=r.last_seen,
        keywords=list(words) if words else terms[:10],
        status=r.status,
        terms=terms,
    )


def _rows(conn, rows) -> list[StoryRow]:
    """Story rows with their keywords as words where the background stage has written them."""
    rows = list(rows)
    ids = [r.id for r in rows]
    words = {}
    if ids:
        k = st.story_keywords
        words = dict(conn.execute(select(k.c.story_id, k.c.words).where(k.c.story_id.in_(ids))).all())
    return [_row(r, words.get(r.id)) for r in rows]


class StoryStage:
    """Assigns stored documents to stories as they arrive (one per process; not thread-safe).

    Several processes may each hold a stage on the same database (``watch``, the web app, the CLI).
    The saved state carries a stamp; a stage that finds the stamp changed by another process reloads
    the state before it assigns or edits, and a save that would overwrite another process's newer
    state is dropped instead (the documents after that state's position are then re-derived), so a
    hand merge or split made anywhere is never undone by a stale process.
    """

    def __init__(self, db: Database, config: ClusterConfig | None = None) -> None:
        self.db = db
        self.config = config
        self.last_doc_id = 0
        self._unsaved = 0
        self._stamp: tuple | None = None
        with self.db.read() as conn:
            self.clusterer = self._load(conn)

    # -- state ---------------------------------------------------------------------------------

    @staticmethod
    def _stored_stamp(conn) -> tuple | None:
        cs = st.cluster_state
        row = conn.execute(select(cs.c.updated_at, cs.c.last_doc_id).where(cs.c.id == 1)).first()
        return None if row is None else (str(row.updated_at), row.last_doc_id)

    def _load(self, conn) -> StoryClusterer:
        row = conn.execute(select(st.cluster_state).where(st.cluster_state.c.id == 1)).first()
        self._unsaved = 0
        self._stamp = None if row is None else (str(row.updated_at), row.last_doc_id)
        if row is None or row.state is None:
            self.last_doc_id = 0
            return StoryClusterer(self.config)
        self.last_doc_id = row.last_doc_id
        state = json.loads(zlib.decompress(row.state))
        return StoryClusterer.from_state(state)

    def _sync(self, conn) -> bool:
        """Reload the state when another process saved since this stage loaded or saved; True if reloaded."""
        if self._stored_stamp(conn) == self._stamp:
            return False
        self.clusterer = self._load(conn)
        return True

    def save(self) -> bool:
        """Persist the clusterer's state and how far it has read; False when another process saved a
        newer state meanwhile (this stage then takes that state instead of overwriting it)."""
        with self.db.write() as conn:
            return self._save(conn)

    def _save(self, conn) -> bool:
        if self._sync(conn):
            return False
        blob = zlib.compress(json.dumps(self.clusterer.state(), separators=(",", ":")).encode(), 3)
        conn.execute(delete(st.cluster_state).where(st.cluster_state.c.id == 1))
        conn.execute(
            insert(st.cluster_state).values(id=1, last_doc_id=self.last_doc_id, state=blob, updated_at=timeutil.now())
        )
        self._stamp = self._stored_stamp(conn)
        self._unsaved = 0
        return True

    # -- assignment ----------------------------------------------------------------------------

    def run(self, *, batch: int = 1000, limit: int | None = None, progress: Callable[[int], None] | None = None) -> int:
        """Assign every stored document not yet assigned; returns how many were assigned."""
        d = t.documents
        done = 0
        while limit is None or done < limit:
            size = batch if limit is None else min(batch, limit - done)
            with self.db.read() as conn:
                if self._unsaved == 0:
                    self._sync(conn)  # nothing of ours to lose: take another process's newer state
                rows = conn.execute(
                    select(
                        d.c.id, d.c.title, d.c.lead, d.c.body, d.c.published_at, d.c.fetched_at,
                        d.c.dup_group, d.c.source_id,
                    )
                    .where(d.c.id > self.last_doc_id)
                    .order_by(d.c.id)
                    .limit(size)
                ).all()
            if not rows:
                break
            touched: set[str] = set()
            pairs: list[tuple[int, str]] = []
            for r in rows:
                dup = str(r.dup_group) if r.dup_group not in (None, r.id) else None
                sid = self.clusterer.add(
                    str(r.id),
                    title=r.title,
                    lead=r.lead,
                    body=r.body,
                    published_at=r.published_at or r.fetched_at,
                    dup_of=dup,
                )
                pairs.append((r.id, sid))
                touched.add(sid)
            if not self._write(pairs, touched):
                continue  # another process saved a newer state: reloaded; assign again from its position
            self.last_doc_id = rows[-1].id
            done += len(rows)
            self._unsaved += len(rows)
            if self._unsaved >= SAVE_EVERY_DOCS:
                self.save()
            if progress:
                progress(len(rows))
        if self._unsaved and not self.save():  # another process saved first: redo from its position
            if limit is not None and done >= limit:
                return done
            return done + self.run(batch=batch, limit=None if limit is None else limit - done, progress=progress)
        return done

    def _story_ids(self, conn, keys: set[str]) -> dict[str, int]:
        now = timeutil.now()
        known = dict(conn.execute(select(st.stories.c.key, st.stories.c.id).where(st.stories.c.key.in_(keys))).all())
        missing = [k for k in keys if k not in known]
        if missing:
            conn.execute(insert(st.stories), [{"key": k, "headline": "", "updated_at": now} for k in missing])
            known.update(
                conn.execute(select(st.stories.c.key, st.stories.c.id).where(st.stories.c.key.in_(missing))).all()
            )
        return known

    def _write(self, pairs: list[tuple[int, str]], touched: set[str]) -> bool:
        """Store one batch's assignments; False (nothing written) when this stage's state went stale."""
        now = timeutil.now()
        sd = st.story_documents
        with self.db.write() as conn:
            if self._sync(conn):
                return False
            ids = self._story_ids(conn, touched)
            doc_ids = [doc for doc, _ in pairs]
            conn.execute(delete(sd).where(sd.c.doc_id.in_(doc_ids)))
            conn.execute(
                insert(sd),
                [{"doc_id": doc, "story_id": ids[sid], "assigned_at": now, "manual": False} for doc, sid in pairs],
            )
            self._refresh(conn, touched, ids)
        return True

    def _refresh(self, conn, keys: set[str], ids: dict[str, int]) -> None:
        """Recompute the stored summary of the given stories from the clusterer and the documents."""
        d, sd = t.documents, st.story_documents
        story_ids = [ids[k] for k in keys]
        counts = {
            row.story_id: row
            for row in conn.execute(
                select(
                    sd.c.story_id,
                    func.count().label("n"),
                    func.count(func.distinct(func.coalesce(d.c.source_id, d.c.platform))).label("outlets"),
                    func.min(func.coalesce(d.c.published_at, d.c.fetched_at)).label("first"),
                    func.max(func.coalesce(d.c.published_at, d.c.fetched_at)).label("last"),
                )
                .select_from(sd.join(d, d.c.id == sd.c.doc_id))
                .where(sd.c.story_id.in_(story_ids))
                .group_by(sd.c.story_id)
            )
        }
        now = timeutil.now()
        for key in keys:
            sid = ids[key]
            info = self.clusterer.story(key, keywords=20)
            c = counts.get(sid)
            conn.execute(
                update(st.stories)
                .where(st.stories.c.id == sid)
                .values(
                    headline=info.headline[:500],
                    doc_count=c.n if c else 0,
                    outlet_count=c.outlets if c else 0,
                    first_seen=_aware(c.first) if c else None,
                    last_seen=_aware(c.last) if c else None,
                    keywords=info.keywords,
                    status="active" if info.active else "dormant",
                    updated_at=now,
                )
            )

    # -- hand edits ------------------------------------------------------------------------------

    def merge(self, story_a: int, story_b: int, *, user: str | None = None) -> int:
        """Merge story ``story_b`` into ``story_a`` by hand (recorded; later assignment respects it)."""
        key_a, key_b = _key(self.db, story_a), _key(self.db, story_b)
        now = timeutil.now()
        with self.db.write() as conn:
            self._sync(conn)
            kept = self.clusterer.merge(key_a, key_b)
            ids = self._story_ids(conn, {kept, key_a, key_b})
            conn.execute(
                update(st.story_documents)
                .where(st.story_documents.c.story_id == ids[key_b])
                .values(story_id=ids[kept], manual=True, assigned_at=now)
            )
            conn.execute(
                update(st.stories).where(st.stories.c.id == ids[key_b]).values(status="merged", merged_into=ids[kept], doc_count=0, updated_at=now)
            )
            conn.execute(
                insert(st.story_edits).values(
                    kind="merge", payload={"into": ids[kept], "from": ids[key_b]}, user=user, at=now
                )
            )
            self._refresh(conn, {kept}, ids)
            self._save(conn)
        return ids[kept]

    def split(self, story_id: int, doc_ids: list[int], *, user: str | None = None) -> int:
        """Move documents out of a story into a new one by hand; returns the new story's id."""
        key = _key(self.db, story_id)
        now = timeutil.now()
        with self.db.write() as conn:
            self._sync(conn)
            new_key = self.clusterer.split(key, [str(x) for x in doc_ids])
            ids = self._story_ids(conn, {key, new_key})
            conn.execute(
                update(st.story_documents)
                .where(st.story_documents.c.doc_id.in_([int(x) for x in doc_ids]))
                .values(story_id=ids[new_key], manual=True, assigned_at=now)
            )
            conn.execute(
                insert(st.story_edits).values(
                    kind="split", payload={"from": ids[key], "into": ids[new_key], "docs": list(doc_ids)}, user=user, at=now
                )
            )
            self._refresh(conn, {key, new_key}, ids)
            self._save(conn)
        return ids[new_key]


def _aware(value):
    if value is None or isinstance(value, dt.datetime):
        return timeutil.aware(value, assume=timeutil.UTC) if value else None
    return t.UTCDateTime().process_result_value(dt.datetime.fromisoformat(str(value)), None)


def _key(db: Database, story_id: int) -> str:
    with db.read() as conn:
        key = conn.execute(select(st.stories.c.key).where(st.stories.c.id == int(story_id))).scalar()
    if key is None:
        raise NotFoundError(f"Không tìm thấy câu chuyện (story not found): {story_id}")
    return key


# ---------------------------------------------------------------------------------------------
# Reading


def list_stories(
    db: Database,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    min_docs: int = 2,
    limit: int = 50,
    order: str = "size",
) -> list[StoryRow]:
    """Stories active in a period (their last document after ``since``, first before ``until``)."""
    s = st.stories
    q = select(s).where(s.c.status != "merged", s.c.doc_count >= min_docs)
    if since is not None:
        q = q.where(s.c.last_seen >= timeutil.aware(since))
    if until is not None:
        q = q.where(s.c.first_seen < timeutil.aware(until))
    q = q.order_by(s.c.doc_count.desc(), s.c.last_seen.desc()) if order == "size" else q.order_by(s.c.last_seen.desc())
    with db.read() as conn:
        return _rows(conn, conn.execute(q.limit(limit)))


def story_of_document(db: Database, doc_id: int) -> StoryRow | None:
    """The story a document belongs to, if it has been assigned."""
    with db.read() as conn:
        r = conn.execute(
            select(st.stories)
            .select_from(st.stories.join(st.story_documents, st.story_documents.c.story_id == st.stories.c.id))
            .where(st.story_documents.c.doc_id == doc_id)
        ).first()
        return _rows(conn, [r])[0] if r else None


def get_story(db: Database, story_id: int, *, max_documents: int = 500) -> StoryDetail:
    """One story with its documents (newest first), outlets and per-day timeline (Vietnam days)."""
    s, sd, d, src = st.stories, st.story_documents, t.documents, t.sources
    with db.read() as conn:
        r = conn.execute(select(s).where(s.c.id == story_id)).first()
        if r is None:
            raise NotFoundError(f"Không tìm thấy câu chuyện (story not found): {story_id}")
        if r.status == "merged" and r.merged_into:
            return get_story(db, r.merged_into, max_documents=max_documents)
        when = func.coalesce(d.c.published_at, d.c.fetched_at)
        rows = conn.execute(
            select(d, src.c.name.label("source_name"))
            .select_from(sd.join(d, d.c.id == sd.c.doc_id).outerjoin(src, src.c.id == d.c.source_id))
            .where(sd.c.story_id == story_id)
            .order_by(when.desc())
            .limit(max_documents)
        ).all()
        edits = [
            dict(kind=e.kind, payload=e.payload, user=e.user, at=e.at)
            for e in conn.execute(select(st.story_edits).order_by(st.story_edits.c.id))
            if story_id in (e.payload.get("into"), e.payload.get("from"))
        ]
        # Outlets and timeline over every document of the story, not only the ones listed.
        every = conn.execute(
            select(when.label("at"), func.coalesce(src.c.name, d.c.platform).label("outlet"))
            .select_from(sd.join(d, d.c.id == sd.c.doc_id).outerjoin(src, src.c.id == d.c.source_id))
            .where(sd.c.story_id == story_id)
        ).all()
        row = _rows(conn, [r])[0]
    docs = [document_from_row(x, source_name=x.source_name) for x in rows]
    outlets: dict[str, int] = {}
    days: dict[str, int] = {}
    for at, outlet in every:
        name = outlet or "?"
        outlets[name] = outlets.get(name, 0) + 1
        stamp = timeutil.local(_aware(at)) if at is not None else None
        day = stamp.date().isoformat() if stamp else "?"
        days[day] = days.get(day, 0) + 1
    return StoryDetail(
        story=row,
        documents=docs,
        outlets=sorted(outlets.items(), key=lambda kv: -kv[1]),
        timeline=sorted(days.items()),
        edits=edits,
    )
