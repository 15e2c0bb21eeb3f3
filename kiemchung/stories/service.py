"""Stories in the store: the streaming assignment stage, hand edits, and reading stories back.

:class:`StoryStage` feeds stored documents, in id order, through the
:class:`~kiemchung.stories.cluster.StoryClusterer` and writes what it decides to the ``stories`` and
``story_documents`` tables. The clusterer is deterministic, so the stage can save its state only every
few thousand documents: after a crash it resumes from the saved state and re-derives the same
assignments for the documents after it.

Hand edits (:func:`merge_stories`, :func:`split_story`) change the tables at once, in one transaction,
without loading the clusterer's state (tens of seconds on a year of news), and are journalled in
``story_edits``. Every stage replays the journalled edits it has not applied into its clusterer before it
assigns again (and saves the edit id it reached with its state), and never moves a document placed by
hand, so later assignment respects the edit.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import time
import zlib
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, cast, delete, func, insert, literal, select, update

from kiemchung import audit, timeutil
from kiemchung.errors import ConfigError, NotFoundError, QueryError
from kiemchung.models import Document
from kiemchung.processes import trim_heap
from kiemchung.store import Database, document_from_row
from kiemchung.store import schema as t
from kiemchung.store.database import insert_rows, update_rows
from kiemchung.stories import tables as st
from kiemchung.stories.cluster import ClusterConfig, StoryClusterer
from kiemchung.stories.persistence import compressed_json_parts

SAVE_EVERY_DOCS = 5000
SAVE_GROWTH = 0.5
STATE_PART_BYTES = 1 << 20  # compressed state per row of cluster_state (see StoryStage._save)
# After every batch the C heap's free pages go back to the system (see processes.trim_heap): the
# batch's transient buffers and the tables of dicts that grew are freed in the middle of glibc's heap,
# which keeps them resident otherwise (a year's import: the story process grew by tens of MB so).
TRIM_EACH_BATCH = True
SUMMARY_MIN_DOCS = 8
SUMMARY_GROWTH = 1.25
KEYWORDS = 20  # keywords stored per story


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
        # Keywords are words a reader recognises (the keyword stage's), or none: the index terms
        # ("huyen_ngoc", "doc_ca") cross word boundaries and lose the diacritics; they stay in ``terms``.
        keywords=list(words or []),
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


class _SummaryCache:
    """Clusterer story id -> ``(document count, active, headline, keywords)`` when the story's summary
    was last computed (``get``, ``[sid] = ...``, ``pop``), each held as the count, the state and one
    bytes object of the headline and keywords (their JSON text): a tuple of twenty keyword strings was
    about 1.5 KB a large story, a memory that grew with an import (2.6 MB over the RSS year)."""

    __slots__ = ("_rows",)

    def __init__(self) -> None:
        self._rows: dict[str, tuple[int, bool, bytes]] = {}

    def get(self, sid: str) -> tuple[int, bool, str, list[str]] | None:
        row = self._rows.get(sid)
        if row is None:
            return None
        headline, keywords = json.loads(row[2].decode("utf-8", "surrogatepass"))
        return row[0], row[1], headline, keywords

    def __setitem__(self, sid: str, summary: tuple[int, bool, str, list[str]]) -> None:
        text = json.dumps([summary[2], summary[3]], ensure_ascii=False, separators=(",", ":"))
        self._rows[sid] = (summary[0], summary[1], text.encode("utf-8", "surrogatepass"))

    def pop(self, sid: str, default: Any = None) -> Any:
        return self._rows.pop(sid, default)

    def __len__(self) -> int:
        return len(self._rows)


class StoryStage:
    """Assigns stored documents to stories as they arrive (one per process; not thread-safe).

    Several processes may each hold a stage on the same database (``watch``, the web app, the CLI).
    The clusterer's state is loaded on first use (creating a stage is cheap). The saved state carries
    a stamp; a stage that finds the stamp changed by another process reloads the state before it
    assigns, and a save that would overwrite another process's newer state is dropped instead (the
    documents after that state's position are then re-derived). Hand edits are journalled in
    ``story_edits`` and replayed by every stage (see :func:`merge_stories`), and documents placed by
    hand are never moved by assignment, so a hand merge or split made anywhere is never undone.
    """

    def __init__(self, db: Database, config: ClusterConfig | None = None) -> None:
        self.db = db
        self.config = config
        self._clusterer: StoryClusterer | None = None
        self._unsaved = 0
        self._edit_id = 0  # the last story_edits row applied to the clusterer
        self._keys: dict[str, str] = {}  # clusterer story id -> stored story key, where they differ
        self._dirty: set[str] = set()  # clusterer stories changed by a replayed edit, summary not rewritten
        # clusterer story id -> (document count, active, headline, keywords) when its summary was last
        # computed: a large story's headline and keywords are recomputed when it has grown by a quarter
        self._summaries = _SummaryCache()
        with self.db.read() as conn:
            self._stamp = self._stored_stamp(conn)
        self.last_doc_id = self._stamp[1] if self._stamp else 0

    # -- state ---------------------------------------------------------------------------------

    @property
    def clusterer(self) -> StoryClusterer:
        """The clusterer, loaded from the saved state (and the journal replayed) on first use."""
        if self._clusterer is None:
            with self.db.read() as conn:
                self._clusterer = self._load(conn)
                self._replay(conn)
        return self._clusterer

    @staticmethod
    def _stored_stamp(conn) -> tuple | None:
        cs = st.cluster_state
        row = conn.execute(select(cs.c.updated_at, cs.c.last_doc_id).where(cs.c.id == 1)).first()
        return None if row is None else (str(row.updated_at), row.last_doc_id)

    def _load(self, conn) -> StoryClusterer:
        # Every row in one statement: on PostgreSQL each statement of a read sees what was committed
        # when it began (READ COMMITTED), so row 1 and the parts after it read apart could come from two
        # different saves (another host's stage saving between the two reads).
        cs = st.cluster_state
        rows = conn.execute(select(cs).order_by(cs.c.id)).all()
        row = rows[0] if rows and rows[0].id == 1 else None  # (parts without their first row: no state)
        self._unsaved = 0
        self._dirty = set()
        self._summaries = _SummaryCache()
        self._stamp = None if row is None else (str(row.updated_at), row.last_doc_id)
        self._edit_id, self._keys = 0, {}
        if row is None or row.state is None:
            self.last_doc_id = 0
            clusterer = StoryClusterer(self.config)
        else:
            self.last_doc_id = row.last_doc_id
            text = self._state_text(row.state, [r.state for r in rows[1:]])
            del rows, row  # the compressed parts, before the state is built
            state = json.loads(text)
            del text
            journal = state.get(JOURNAL_KEY) or {}
            self._edit_id = int(journal.get("edit_id", 0))
            self._keys = dict(journal.get("keys", {}))
            clusterer = StoryClusterer.from_state(state)
            del state
        # Dormant stories' document vectors live in story_vectors, not in memory nor in the saved state.
        clusterer.attach_vault(self._read_vectors)
        return clusterer

    @staticmethod
    def _state_text(first: bytes, parts: Iterable[bytes]) -> bytes:
        """The saved state's JSON text: row 1's compressed bytes (``first``), continued by rows 2, 3, ...
        (``parts``) when a save wrote it in parts (a state saved in one row, as before session 15, has none)."""
        z = zlib.decompressobj()
        text = bytearray(z.decompress(first))
        for part in parts:
            text += z.decompress(part)
        text += z.flush()
        if not z.eof:
            raise zlib.error("incomplete saved state")
        return bytes(text)

    def _read_vectors(self, doc_ids: list[str]) -> dict[str, tuple[array, array, str]]:
        """The stored vectors and titles of documents of dormant stories (see StoryClusterer.attach_vault)."""
        v = st.story_vectors
        out: dict[str, tuple[array, array, str]] = {}
        with self.db.read() as conn:
            for i in range(0, len(doc_ids), 500):
                for r in conn.execute(select(v.c.doc, v.c.terms, v.c.tfs, v.c.title).where(v.c.doc.in_(doc_ids[i : i + 500]))):
                    terms, tfs = array("i"), array("f")
                    terms.frombytes(bytes(r.terms))
                    tfs.frombytes(bytes(r.tfs))
                    out[r.doc] = (terms, tfs, r.title)
        return out

    def _store_vectors(self, conn) -> dict[str, tuple[array, array, str]]:
        """Write the vectors the clusterer let go of since the last write (in the caller's transaction);
        returns them, to be marked stored once that transaction has committed."""
        pending = self._clusterer.pending_vectors() if self._clusterer is not None else {}
        if pending:
            v = st.story_vectors
            keys = sorted(pending)
            for i in range(0, len(keys), 500):
                conn.execute(delete(v).where(v.c.doc.in_(keys[i : i + 500])))
            insert_rows(
                conn, v, ["doc", "terms", "tfs", "title"],
                [(d, pending[d][0].tobytes(), pending[d][1].tobytes(), pending[d][2]) for d in keys],
            )
        return pending

    def _sync(self, conn) -> bool:
        """Reload the state when another process saved since this stage loaded or saved (True if
        reloaded), then replay hand edits journalled since."""
        if self._clusterer is None:
            return False  # nothing loaded yet: the first use loads the newest state
        reloaded = self._stored_stamp(conn) != self._stamp
        if reloaded:
            self._clusterer = self._load(conn)
        self._replay(conn)
        return reloaded

    def save(self) -> bool:
        """Persist the clusterer's state and how far it has read; False when another process saved a
        newer state meanwhile (this stage then takes that state instead of overwriting it)."""
        with self.db.write() as conn:
            if self._clusterer is None:  # nothing of ours to save; take the newer position if any
                stamp = self._stored_stamp(conn)
                if stamp == self._stamp:
                    return True
                self._stamp, self.last_doc_id = stamp, stamp[1] if stamp else 0
                return False
            clusterer = self._clusterer
            # the vectors first: the state then holds none of them (only their documents' ids)
            stored = self._store_vectors(conn)
            clusterer.vectors_stored(stored)
            try:
                return self._save(conn)
            except BaseException:
                clusterer.requeue_vectors(stored)  # rolled back with the transaction
                raise

    def _save(self, conn) -> bool:
        if self._sync(conn):
            return False
        self._refresh_dirty(conn)
        state = self.clusterer.state(pieces=True)
        state[JOURNAL_KEY] = {"edit_id": self._edit_id, "keys": self._keys}
        # The compressed state in rows 1, 2, ... of STATE_PART_BYTES or more each, each written as soon as
        # it is compressed (see _load): a save never holds the whole blob, nor does the driver. Row 1
        # carries the stamp; rows of a longer state saved before are deleted with it.
        cs = st.cluster_state
        conn.execute(delete(cs))
        now = timeutil.now()
        for k, part in enumerate(compressed_json_parts(state, 3, STATE_PART_BYTES), start=1):
            conn.execute(insert(cs).values(id=k, last_doc_id=self.last_doc_id, state=part, updated_at=now))
        self._stamp = self._stored_stamp(conn)
        self._unsaved = 0
        return True

    # -- journalled hand edits -----------------------------------------------------------------------

    def _replay(self, conn) -> int:
        """Apply the hand edits journalled after the last one this clusterer has; returns how many."""
        e = st.story_edits
        rows = conn.execute(select(e.c.id, e.c.kind, e.c.payload).where(e.c.id > self._edit_id).order_by(e.c.id)).all()
        for r in rows:
            p = r.payload if isinstance(r.payload, dict) else {}
            if p.get("journal"):  # older edits were applied to the saved state when they were made
                self._apply(r.kind, p)
            self._edit_id = r.id
        self._unsaved += len(rows)
        return len(rows)

    def _sid(self, key: str) -> str | None:
        """The clusterer's current story for a stored story key (None when this state has none)."""
        for sid, mapped in self._keys.items():
            if mapped == key:
                return self._clusterer.resolve(sid)
        try:
            return self._clusterer.resolve(key)
        except NotFoundError:
            return None

    def _apply(self, kind: str, p: dict) -> None:
        """Apply one journalled edit to the clusterer, as far as its state knows the stories and documents.

        What the state does not know (a story or document after its position) is left to the tables,
        where the edit already is; assignment never moves a document placed by hand."""
        c = self._clusterer
        if kind == "merge":
            into, other = self._sid(p["into_key"]), self._sid(p["from_key"])
            if other is None or into == other:
                return
            if into is None:  # the kept story is unknown here: the other's later documents go to it
                self._keys[other] = p["into_key"]
                self._dirty.add(other)
                return
            self._dirty.add(c.merge(into, other))
        elif kind == "split":
            source = self._sid(p["from_key"])
            if source is None:
                return
            moving = [str(d) for d in p["docs"] if self._in_story(str(d), source)]
            try:
                new = c.split(source, moving)
            except (ConfigError, NotFoundError):  # none (or all) of them in this state's story
                return
            self._keys[new] = p["into_key"]
            self._dirty |= {c.resolve(source), new}

    def _in_story(self, doc_id: str, sid: str) -> bool:
        try:
            return self._clusterer.story_of(doc_id) == sid
        except NotFoundError:
            return False

    def _refresh_dirty(self, conn) -> None:
        """Rewrite the stored summary (headline, keywords, status) of stories changed by replayed edits."""
        if self._dirty:
            dirty, self._dirty = self._dirty, set()
            live = {self.clusterer.resolve(k) for k in dirty}
            self._refresh(conn, live, self._story_ids(conn, live), force=True)

    # -- assignment ----------------------------------------------------------------------------

    def run(
        self,
        *,
        batch: int = 1000,
        limit: int | None = None,
        progress: Callable[[int], None] | None = None,
        until: Callable[[], bool] | None = None,
        poll_s: float = 0.2,
    ) -> int:
        """Assign every stored document not yet assigned; returns how many were assigned.

        ``until``: follow an ingest running in another process (see :class:`kiemchung.pipeline.Follower`):
        while ``until()`` is false, only full batches are assigned (waiting ``poll_s`` between looks), so
        the batches, and what is stored after each, are the ones a run after the ingest would make; once
        it is true, the rest is assigned as usual."""
        ahead = _FeaturesAhead() if until is not None else None
        collecting = gc.isenabled()
        if ahead is not None:
            gc.disable()  # one collection after each batch instead (see _run)
        try:
            return self._run(batch, limit, progress, until, poll_s, ahead)
        finally:
            if ahead is not None:
                ahead.close()
                gc.unfreeze()  # what the batches froze is the collector's again
                if collecting:
                    gc.enable()

    def _rows(self, after: int, size: int, *, sync: bool = True, text_only: bool = False) -> list:
        """The next ``size`` stored documents after ``after``; ``text_only``: only what the feature
        helper reads (id, title, lead, body, kind), without the dates to parse."""
        d = t.documents
        columns = (d.c.id, d.c.title, d.c.lead, d.c.body, d.c.kind) if text_only else (
            d.c.id, d.c.title, d.c.lead, d.c.body, d.c.published_at, d.c.fetched_at,
            d.c.dup_group, d.c.source_id, d.c.kind,
        )
        with self.db.read() as conn:
            if sync and self._unsaved == 0:
                self._sync(conn)  # nothing of ours to lose: take another process's newer state
            return conn.execute(
                select(*columns)
                .where(d.c.id > after)
                .order_by(d.c.id)
                .limit(size)
            ).all()

    def _run(self, batch, limit, progress, until, poll_s, ahead) -> int:
        done = 0
        while limit is None or done < limit:
            size = batch if limit is None else min(batch, limit - done)
            if until is not None and not until() and not self._batch_ready(size):
                time.sleep(poll_s)
                continue
            clusterer = self.clusterer
            rows = self._rows(self.last_doc_id, size)
            if not rows:
                break
            clusterer = self.clusterer  # a sync may have reloaded it
            if ahead is not None:
                clusterer.spill()  # following an import: memory that does not grow with it
            known = {}
            # The helper's copy of the vocabulary follows ours: it numbers the next batch while this one
            # is assigned. Otherwise (the first batch, a document numbered here, the next batch still
            # being stored) the next batch is sent after this one is assigned, with a new copy if needed.
            ahead_sent = False
            if ahead is not None:  # this batch's features, computed while the last one was assigned
                known = ahead.take()
                if clusterer.vocabulary_shared(ahead.token):
                    after = self._rows(rows[-1].id, batch, sync=False, text_only=True)
                    if len(after) == batch or until():
                        ahead.submit(after, clusterer.config.field_weights())
                        ahead_sent = True
            for r in rows:
                dup = str(r.dup_group) if r.dup_group not in (None, r.id) else None
                f = known.get(r.id)
                clusterer.add(
                    str(r.id),
                    title=r.title,
                    lead=r.lead,
                    body=r.body,
                    published_at=r.published_at or r.fetched_at,
                    dup_of=dup,
                    informal=r.kind == "post",
                    # computed from the same text (a row changed since is computed again here)
                    features=f[1] if f is not None and f[0] == (r.title or "", r.lead or "", r.body or "", r.kind == "post")
                    else None,
                )
            if ahead is not None and not ahead_sent:
                ahead.submit(
                    self._rows(rows[-1].id, batch, sync=False, text_only=True), clusterer.config.field_weights(),
                    seed=None
                    if clusterer.vocabulary_shared(ahead.token)
                    else clusterer.vocabulary_seed(ahead.token),
                )
            if ahead is not None:
                # Following an import (a process of its own, see ``run``): the cyclic collector's
                # automatic scans, mostly of the state the adds build, were 9 % of this process's CPU
                # and found almost no garbage. What the adds allocated is frozen out of the collector's
                # scans; the one collection at the end of the batch scans only what the write and the
                # save allocated, where the cycles are (SQL statements: about 5,300 objects in 40,000
                # documents, against about 5,450 when everything was scanned). When cycles are freed
                # changes, never what the clusterer holds; ``run`` unfreezes at the end.
                gc.freeze()
            # the batch's stories looked at again (see StoryClusterer.reconcile); with reconcile_each_batch
            # off, only the passes add ran every reconcile_every documents
            if clusterer.config.reconcile_every and clusterer.config.reconcile_each_batch:
                clusterer.reconcile()
            if not self._write([r.id for r in rows], clusterer.take_moves(), clusterer.take_retired()):
                if ahead is not None:
                    gc.unfreeze()  # the state replaced may hold cycles: the collector's again
                continue  # another process saved a newer state: reloaded; assign again from its position
            self.last_doc_id = rows[-1].id
            done += len(rows)
            self._unsaved += len(rows)
            # Every SAVE_EVERY_DOCS documents, and no more often than every SAVE_GROWTH of what the
            # state holds: a save writes the whole state, so on a long import the saves cost O(N) in
            # all, not O(N^2); after a crash the documents since the last save are re-derived.
            if self._unsaved >= max(SAVE_EVERY_DOCS, SAVE_GROWTH * len(clusterer)):
                self.save()
                trim_heap()  # the save's buffers, freed, go back to the system (a long import's peak)
            elif TRIM_EACH_BATCH:
                trim_heap()
            if ahead is not None:
                gc.collect()
                gc.freeze()
            if progress:
                progress(len(rows))
        if ahead is not None:  # nothing more to compute ahead: the helper ends before the last save (memory)
            ahead.close()
        clusterer = self.clusterer
        if clusterer.config.reconcile_every and clusterer.unreconciled:
            # The run's last documents are looked at again now, not when the next run passes another
            # reconcile_every documents (kiemchung eval stories does the same at the end of its stream).
            clusterer.reconcile()
            if not self._write([], clusterer.take_moves(), clusterer.take_retired()):
                # another process saved a newer state (now loaded): this pass's moves went with the
                # state they were made in; what is left is assigned from the newer state's position
                rest = None if limit is None else limit - done
                return done + self._run(batch, rest, progress, None, poll_s, None)
            self._unsaved = max(self._unsaved, 1)  # the state that made these moves is saved below
        if self._unsaved and not self.save():  # another process saved first: redo from its position
            if limit is not None and done >= limit:
                return done
            return done + self._run(batch, None if limit is None else limit - done, progress, None, poll_s, None)
        return done

    def _batch_ready(self, size: int) -> bool:
        """Whether ``size`` stored documents are waiting after this stage's position."""
        d = t.documents
        with self.db.read() as conn:
            return conn.execute(
                select(d.c.id).where(d.c.id > self.last_doc_id).order_by(d.c.id).offset(size - 1).limit(1)
            ).first() is not None

    def _story_ids(self, conn, sids: set[str]) -> dict[str, int]:
        """Stored story ids of clusterer stories (rows created for new ones)."""
        keys = {sid: self._keys.get(sid, sid) for sid in sids}
        wanted = set(keys.values())
        s = st.stories
        known = dict(conn.execute(select(s.c.key, s.c.id).where(s.c.key.in_(wanted))).all())
        # new rows in story order (st-9 before st-10), never in the order a set of strings iterates
        missing = sorted((k for k in wanted if k not in known), key=lambda k: (len(k), k))
        if missing:
            now = timeutil.now()
            conn.execute(insert(s), [{"key": k, "headline": "", "updated_at": now} for k in missing])
            known.update(conn.execute(select(s.c.key, s.c.id).where(s.c.key.in_(missing))).all())
        return {sid: known[key] for sid, key in keys.items()}

    def _write(
        self, doc_ids: list[int], moved: dict[str, tuple[str, str]] | None = None, retired: dict[str, str] | None = None
    ) -> bool:
        """Store one batch's assignments; False (nothing written) when this stage's state went stale.

        ``moved``: documents the reconciliation pass moved, ``{doc id: (from story, to story)}``; ``retired``:
        stories it merged away (``{story id: kept story id}``), whose rows are marked merged into the
        kept story's. Documents placed by hand keep their story."""
        now = timeutil.now()
        sd = st.story_documents
        s = st.stories
        clusterer = self._clusterer
        # The headlines and keywords of the batch's stories are computed before the write transaction,
        # not while it holds the database's write lock (an import's ingest waits on that lock)
        edit_id = self._edit_id
        ready = self._summaries_ahead(doc_ids, moved)
        with self.db.write() as conn:
            if self._sync(conn):
                return False
            if self._edit_id != edit_id:  # hand edits replayed meanwhile: the summaries are computed again
                ready = {}
            stored = self._store_vectors(conn)
            moved, retired = moved or {}, retired or {}
            batch = set(doc_ids)
            doc_ids = list(doc_ids) + sorted(int(d) for d in moved if d.isdigit() and int(d) not in batch)
            manual = set()
            for i in range(0, len(doc_ids), 500):
                part = doc_ids[i : i + 500]
                manual |= set(conn.execute(select(sd.c.doc_id).where(sd.c.doc_id.in_(part), sd.c.manual)).scalars())
            pairs = [(doc, self._clusterer.story_of(str(doc))) for doc in doc_ids if doc not in manual]
            touched = {sid for _, sid in pairs} | {self._clusterer.resolve(k) for k in self._dirty}
            touched |= {self._clusterer.resolve(old) for old, _ in moved.values()}  # stories that lost documents
            self._dirty = set()
            ids = self._story_ids(conn, touched | set(retired.values()))
            if retired:
                gone = {self._keys.get(k, k): ids[into] for k, into in retired.items()}
                for key, into in sorted(gone.items()):
                    conn.execute(
                        update(s).where(s.c.key == key).values(status="merged", merged_into=into, doc_count=0, updated_at=now)
                    )
                for k in retired:
                    self._summaries.pop(k, None)
            for i in range(0, len(pairs), 500):
                conn.execute(delete(sd).where(sd.c.doc_id.in_([doc for doc, _ in pairs[i : i + 500]])))
            if pairs:
                insert_rows(
                    conn, sd, ["doc_id", "story_id", "assigned_at", "manual"],
                    [(doc, ids[sid], now, False) for doc, sid in pairs],
                )
            self._refresh(conn, touched, ids, ready=ready)
        clusterer.vectors_stored(stored)  # committed
        return True

    def _summaries_ahead(self, doc_ids: list[int], moved: dict[str, tuple[str, str]] | None) -> dict[str, tuple]:
        """:meth:`_summary` of the stories a batch touched (read before its write transaction)."""
        c = self._clusterer
        if c is None:
            return {}
        sids = {c.story_of(str(doc)) for doc in doc_ids}
        for doc, (old, _) in (moved or {}).items():
            sids |= {c.story_of(doc), c.resolve(old)}
        with c.same_idf():  # one IDF per term for all of them (the clusterer does not change meanwhile)
            # the keywords' texts of those computed now read together (see prefetch_summaries)
            due = {sid: self._summary_due(sid) for sid in sids}
            c.prefetch_summaries(sorted(sid for sid, d in due.items() if d is not None), keywords=KEYWORDS)
            return {sid: self._summary_for(sid, due[sid]) for sid in sids}

    def _summary_due(self, sid: str, *, force: bool = False) -> tuple[int, bool] | None:
        """``(document count, active)`` of a story whose summary :meth:`_summary` computes now; None when
        it takes the cached one (a large story that has not grown enough)."""
        n, active = self._clusterer.size(sid)
        cached = self._summaries.get(sid)
        if (
            force
            or cached is None
            or cached[1] != active
            or n < SUMMARY_MIN_DOCS
            or n >= cached[0] * SUMMARY_GROWTH
        ):
            return n, active
        return None

    def _summary(self, sid: str, *, force: bool = False) -> tuple[tuple, bool]:
        """``((document count, active, headline, keywords), computed)`` of a story for :meth:`_refresh`:
        the cached summary of a large story that has not grown enough (``computed`` false), else one
        computed now. Does not change the cache (see :meth:`_refresh`)."""
        return self._summary_for(sid, self._summary_due(sid, force=force))

    def _summary_for(self, sid: str, due: tuple[int, bool] | None) -> tuple[tuple, bool]:
        """:meth:`_summary`, given what :meth:`_summary_due` says of the story."""
        if due is None:
            return self._summaries.get(sid), False
        headline, keywords = self._clusterer.summary(sid, keywords=KEYWORDS)
        return (*due, headline[:500], keywords), True

    def _refresh(
        self, conn, sids: set[str], ids: dict[str, int], *, force: bool = False, ready: dict[str, tuple] | None = None
    ) -> None:
        """Recompute the stored summary of the given stories from the clusterer and the documents.

        Counts and times are always exact. The headline and keywords of a story of at least
        ``SUMMARY_MIN_DOCS`` documents are recomputed when it has grown by ``SUMMARY_GROWTH`` since
        they were last computed (or changed state, or ``force``): reading a large story's members for
        every batch that adds one document to it was most of the stage's cost on a year of news.
        ``ready``: :meth:`_summary` of some of the stories, computed beforehand from the same state.
        """
        counts = _counts(conn, [ids[k] for k in sids])
        now = timeutil.now()
        summaries = self._summaries
        ready = {} if force or ready is None else ready
        rows = []
        for sid in sorted(sids, key=lambda k: (len(k), k)):
            story_id = ids[sid]
            cached, computed = ready.get(sid) or self._summary(sid, force=force)
            if computed:
                if cached[0] >= SUMMARY_MIN_DOCS:  # a smaller story's summary is recomputed every time anyway
                    summaries[sid] = cached
                else:
                    summaries.pop(sid, None)
            c = counts.get(story_id, EMPTY_COUNTS)
            rows.append((
                cached[2], cached[3], "active" if cached[1] else "dormant", now,
                c["doc_count"], c["outlet_count"], c["first_seen"], c["last_seen"], story_id,
            ))
        update_rows(
            conn, st.stories, "id",
            ["headline", "keywords", "status", "updated_at", "doc_count", "outlet_count", "first_seen", "last_seen"],
            rows,
        )

    # -- text that arrives later -------------------------------------------------------------------

    def reassign(self, doc_ids: list[int]) -> dict[int, int]:
        """Place again documents whose text grew after they were assigned (the OCR stage adds the text
        of a tip's screenshot); returns ``{doc_id: stored story id}`` for those that moved.

        Each document is moved in the clusterer (:meth:`StoryClusterer.move`: out of its old story,
        its vector rebuilt from its current text, placed like a new arrival), the tables follow, and the
        state is saved at once. Documents placed by hand stay where the editor put them, and documents
        this stage has not assigned yet are left to :meth:`run` (it reads the text as it is then). A
        story the move left empty is marked merged into the document's new story."""
        d, sd = t.documents, st.story_documents
        wanted = sorted({int(x) for x in doc_ids})
        moved: dict[int, int] = {}
        if not wanted:
            return moved
        self.run()  # catch up first: a document assigned since the saved state is then known here too
        now = timeutil.now()
        with self.db.write() as conn:
            self._sync(conn)
            clusterer = self.clusterer
            placed = dict(conn.execute(select(sd.c.doc_id, sd.c.story_id)
                                       .where(sd.c.doc_id.in_(wanted), sd.c.manual.is_(False))).all())
            rows = conn.execute(select(d.c.id, d.c.title, d.c.lead, d.c.body, d.c.published_at, d.c.fetched_at,
                                       d.c.kind).where(d.c.id.in_([x for x in wanted if x in placed]))).all()
            touched: set[str] = set()
            targets: dict[int, str] = {}
            for r in rows:
                if r.id > self.last_doc_id:
                    continue
                try:
                    touched.add(clusterer.story_of(str(r.id)))
                except NotFoundError:  # not in this state (assigned by hand before the stage saw it)
                    continue
                sid = clusterer.move(str(r.id), title=r.title, lead=r.lead, body=r.body,
                                     published_at=r.published_at or r.fetched_at, informal=r.kind == "post")
                targets[r.id] = clusterer.resolve(sid)
                self._unsaved += 1
            if not targets:
                return moved
            retired = clusterer.take_retired()
            touched = {clusterer.resolve(k) for k in touched} | set(targets.values())
            ids = self._story_ids(conn, touched | set(retired.values()))
            s = st.stories
            for key, into in sorted(retired.items()):
                conn.execute(update(s).where(s.c.key == self._keys.get(key, key))
                             .values(status="merged", merged_into=ids[into], updated_at=now, **EMPTY_COUNTS))
                self._summaries.pop(key, None)
            old = set()
            for doc_id, sid in targets.items():
                if ids[sid] != placed[doc_id]:
                    conn.execute(update(sd).where(sd.c.doc_id == doc_id)
                                 .values(story_id=ids[sid], assigned_at=now, manual=False))
                    moved[doc_id] = ids[sid]
                    old.add(placed[doc_id])
            self._refresh(conn, touched, ids)
            if old:
                for story_id, counts in _counts(conn, sorted(old)).items():
                    conn.execute(update(s).where(s.c.id == story_id).values(updated_at=now, **counts))
                empty = old - set(_counts(conn, sorted(old)))
                if empty:
                    conn.execute(update(s).where(s.c.id.in_(sorted(empty))).values(updated_at=now, **EMPTY_COUNTS))
            self._save(conn)  # the moves are in the saved state (a stage made for one call is then dropped)
        return moved

    # -- hand edits ------------------------------------------------------------------------------

    def merge(self, story_a: int, story_b: int, *, user: str | None = None, actor: Any = None) -> int:
        """Merge story ``story_b`` into ``story_a`` by hand (see :func:`merge_stories`)."""
        return merge_stories(self.db, story_a, story_b, user=user, actor=actor)

    def split(self, story_id: int, doc_ids: list[int], *, user: str | None = None, actor: Any = None) -> int:
        """Move documents out of a story into a new one by hand (see :func:`split_story`)."""
        return split_story(self.db, story_id, doc_ids, user=user, actor=actor)


JOURNAL_KEY = "journal"  # key of the saved state holding the last replayed edit and the key map
EMPTY_COUNTS = {"doc_count": 0, "outlet_count": 0, "first_seen": None, "last_seen": None}


_MIRROR = None  # the helper process's copy of the vocabulary (TermMirror)


def _batch_features(weights, texts: list[tuple], seed: tuple | None = None) -> tuple:
    """The features of a batch ``[(doc id, title, lead, body, informal)]`` with their terms numbered
    by this (helper) process's copy of the vocabulary, made from ``seed`` when given (see
    :func:`kiemchung.stories.vocabulary.number_batch`)."""
    global _MIRROR
    from kiemchung.stories.cluster import document_features
    from kiemchung.stories.vocabulary import TermMirror, number_batch

    if seed is not None and (_MIRROR is None or not _MIRROR.extend(seed)):  # (a delta when it can be)
        if _MIRROR is not None:
            _MIRROR.close()  # the old copy's memory and file first
            _MIRROR = None
        if len(seed) == 3:
            _MIRROR = TermMirror(seed)
        # (a delta for a copy this process does not hold: no copy, number_batch fails, the owner computes
        # this batch itself and sends a full seed next: _FeaturesAhead.token)
    docs = []
    for i, ti, le, bo, inf in texts:
        tf, key = document_features(ti, le, bo, weights, inf)
        docs.append((i, tf, key))
    out = number_batch(_MIRROR, docs)
    del docs
    if TRIM_EACH_BATCH:
        trim_heap()  # (as the story process does after each batch)
    return out


# The feature helper's text caches (kiemchung.text.core.limit_caches): with 300,000 chunks each, as in
# other processes, they filled all year in the helper (about 14 MB more at 80,000 documents of the RSS
# year) for about 5 % less of its text CPU (those 80,000 documents: 12.6 s with 300,000, 13.2 s with
# 30,000 emptied when full). See docs/stories.md, "Memory, session 14". Since session 15 a full cache
# becomes the previous generation (kiemchung.text.memo): 15,000 a generation holds at most the 30,000
# chunks of before and misses less (the RSS year's titles and summaries: 259,625 misses against 315,493).
HELPER_TEXT_CACHE = 15_000


def _helper_start(parent: int) -> None:
    from kiemchung.processes import child_process_start

    child_process_start(HELPER_TEXT_CACHE, parent)  # for the helper's whole life


class _FeaturesAhead:
    """The term weights and series keys of the next batch, computed in a helper process while this
    one assigns the current batch (a stage following an import: the ingest has its own process, and
    this work is a fifth of the stage's), with their terms numbered there by a copy of the vocabulary
    (``seed``: see kiemchung.stories.vocabulary.TermMirror). What it returns is what ``add`` would
    compute itself; ``add`` checks that the ids are those of its state."""

    def __init__(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_helper_start, initargs=(os.getpid(),))
        self._pending = None
        self._texts: dict[int, tuple] = {}
        # the copy of the vocabulary the helper numbered the last batch taken with (None: none known,
        # the next seed is a full one; see TermTable.seed)
        self.token: int | None = None

    def submit(self, rows: list, weights, seed: tuple | None = None) -> None:
        texts = [(r.id, r.title or "", r.lead or "", r.body or "", r.kind == "post") for r in rows]
        self._texts = {i: (ti, le, bo, inf) for i, ti, le, bo, inf in texts}
        self._pending = None
        if texts or seed:
            try:
                self._pending = self._pool.submit(_batch_features, weights, texts, seed)
            except Exception:  # noqa: BLE001 - a broken helper only costs the time: add() computes them
                self._texts = {}
                self.token = None

    def take(self) -> dict[int, tuple]:
        """``{doc id: ((title, lead, body, informal), Numbered)}`` of the batch last submitted (empty
        when none, or when the helper failed)."""
        from kiemchung.stories.vocabulary import numbered_docs

        pending, self._pending = self._pending, None
        texts, self._texts = self._texts, {}
        if pending is None:
            return {}
        try:
            batch = pending.result()
            docs = numbered_docs(batch)
        except Exception:  # noqa: BLE001 - a broken helper only costs the time: add() computes them
            self.token = None
            return {}
        self.token = batch[0]
        return {i: (texts[i], d) for i, d in docs.items()}

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _counts(conn, story_ids: list[int]) -> dict[int, dict]:
    """Document and outlet counts and first/last times of stories, from the stored documents."""
    d, sd = t.documents, st.story_documents
    when = func.coalesce(d.c.published_at, d.c.fetched_at)
    # An outlet is the source, else the platform: one text value on every backend (PostgreSQL does not
    # coalesce an integer with a string), the prefix keeping a platform apart from a source id.
    outlet = func.coalesce(cast(d.c.source_id, String), literal("p:", String) + d.c.platform)
    rows = conn.execute(
        select(
            sd.c.story_id,
            func.count().label("n"),
            func.count(func.distinct(outlet)).label("outlets"),
            func.min(when).label("first"),
            func.max(when).label("last"),
        )
        .select_from(sd.join(d, d.c.id == sd.c.doc_id))
        .where(sd.c.story_id.in_(story_ids))
        .group_by(sd.c.story_id)
    )
    return {
        r.story_id: {"doc_count": r.n, "outlet_count": r.outlets, "first_seen": _aware(r.first), "last_seen": _aware(r.last)}
        for r in rows
    }


def _live(conn, story_id: int):
    """The stored story row, merges followed (NotFoundError for an unknown id)."""
    s = st.stories
    seen = set()
    while True:
        r = conn.execute(select(s).where(s.c.id == int(story_id))).first()
        if r is None:
            raise NotFoundError(f"Không tìm thấy câu chuyện (story not found): {story_id}")
        if r.status != "merged" or not r.merged_into or r.id in seen:
            return r
        seen.add(r.id)
        story_id = r.merged_into


def merge_stories(db: Database, story_a: int, story_b: int, *, user: str | None = None, actor: Any = None) -> int:
    """Merge story ``story_b`` into ``story_a`` by hand; returns the kept story's id.

    The tables change at once, in one transaction, without loading the clusterer's state: the
    documents move (marked as placed by hand), ``story_b`` resolves to ``story_a`` from then on, and the
    edit is journalled in ``story_edits`` for the stages to replay (later documents of either story
    join the one kept). Merged stories are followed; merging a story with itself changes nothing.
    Audited as ``story.merge`` with ``actor`` (``user`` when no actor is given)."""
    now = timeutil.now()
    s, sd = st.stories, st.story_documents
    with db.write() as conn:
        a, b = _live(conn, story_a), _live(conn, story_b)
        if a.id == b.id:
            return a.id
        conn.execute(update(sd).where(sd.c.story_id == b.id).values(story_id=a.id, manual=True, assigned_at=now))
        conn.execute(update(s).where(s.c.id == b.id).values(status="merged", merged_into=a.id, doc_count=0, updated_at=now))
        conn.execute(
            insert(st.story_edits).values(
                kind="merge", user=user, at=now,
                payload={"into": a.id, "from": b.id, "into_key": a.key, "from_key": b.key, "journal": True},
            )
        )
        audit.record(conn, actor if actor is not None else user, "story.merge", f"story:{a.id}",
                     {"into": a.id, "from": b.id, "doc_counts": [a.doc_count, b.doc_count]},
                     {"story": a.id})
        bigger = b if b.doc_count > a.doc_count else a  # the clusterer's headline comes with the replay
        conn.execute(
            update(s).where(s.c.id == a.id).values(
                headline=bigger.headline, keywords=bigger.keywords, updated_at=now,
                status="active" if "active" in (a.status, b.status) else a.status,
                **_counts(conn, [a.id]).get(a.id, EMPTY_COUNTS),
            )
        )
    return a.id


def split_story(db: Database, story_id: int, doc_ids: list[int], *, user: str | None = None, actor: Any = None) -> int:
    """Move documents out of a story into a new story by hand; returns the new story's id.

    Like :func:`merge_stories`, the tables change at once and the edit is journalled. The documents
    must belong to the story (merges followed) and at least one must stay (QueryError otherwise).
    Audited as ``story.split`` with ``actor`` (``user`` when no actor is given)."""
    ids = sorted({int(x) for x in doc_ids})
    now = timeutil.now()
    s, sd, d = st.stories, st.story_documents, t.documents
    with db.write() as conn:
        story = _live(conn, story_id)
        members = set(conn.execute(select(sd.c.doc_id).where(sd.c.story_id == story.id)).scalars())
        strangers = [x for x in ids if x not in members]
        if strangers:
            raise QueryError(f"Tài liệu không thuộc câu chuyện {story.id} (documents not in this story): {strangers[:10]}")
        if not ids or len(ids) >= len(members):
            raise QueryError(
                "Phải tách ít nhất một tài liệu và giữ lại ít nhất một (split at least one document, keep at least one)"
            )
        edit = conn.execute(insert(st.story_edits).values(kind="split", user=user, at=now, payload={})).inserted_primary_key[0]
        key = f"hand-{edit}"
        first = conn.execute(
            select(d.c.title).where(d.c.id.in_(ids)).order_by(func.coalesce(d.c.published_at, d.c.fetched_at), d.c.id).limit(1)
        ).scalar()
        new_id = conn.execute(
            insert(s).values(key=key, headline=(first or "")[:500], keywords=[], status=story.status, updated_at=now)
        ).inserted_primary_key[0]
        for i in range(0, len(ids), 500):
            conn.execute(
                update(sd).where(sd.c.doc_id.in_(ids[i : i + 500])).values(story_id=new_id, manual=True, assigned_at=now)
            )
        conn.execute(
            update(st.story_edits).where(st.story_edits.c.id == edit).values(
                payload={"from": story.id, "into": new_id, "docs": ids, "from_key": story.key, "into_key": key,
                         "journal": True}
            )
        )
        counts = _counts(conn, [story.id, new_id])
        for sid in (story.id, new_id):
            conn.execute(update(s).where(s.c.id == sid).values(updated_at=now, **counts.get(sid, EMPTY_COUNTS)))
        audit.record(conn, actor if actor is not None else user, "story.split", f"story:{story.id}",
                     {"story": story.id, "docs": ids}, {"story": new_id})
    return new_id


def _aware(value):
    if value is None or isinstance(value, dt.datetime):
        return timeutil.aware(value, assume=timeutil.UTC) if value else None
    return t.UTCDateTime().process_result_value(dt.datetime.fromisoformat(str(value)), None)




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
    source_ids: list[int] | None = None,
) -> list[StoryRow]:
    """Stories active in a period (their last document after ``since``, first before ``until``);
    with ``source_ids`` (e.g. a source collection's), only stories with a document from one of them."""
    s = st.stories
    q = select(s).where(s.c.status != "merged", s.c.doc_count >= min_docs)
    if source_ids is not None:
        sd, d = st.story_documents, t.documents
        q = q.where(s.c.id.in_(
            select(sd.c.story_id).select_from(sd.join(d, d.c.id == sd.c.doc_id))
            .where(d.c.source_id.in_([int(x) for x in source_ids]))
        ))
    if since is not None:
        q = q.where(s.c.last_seen >= timeutil.aware(since))
    if until is not None:
        q = q.where(s.c.first_seen < timeutil.aware(until))
    # Ties broken by id: the same order on every backend (PostgreSQL returns ties in any order).
    q = (q.order_by(s.c.doc_count.desc(), s.c.last_seen.desc(), s.c.id.desc()) if order == "size"
         else q.order_by(s.c.last_seen.desc(), s.c.id.desc()))
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


def find_story(db: Database, story_id: int) -> StoryRow:
    """One story's row, merges followed, without its documents (NotFoundError for an unknown id)."""
    with db.read() as conn:
        return _rows(conn, [_live(conn, story_id)])[0]


def get_story(db: Database, story_id: int, *, max_documents: int = 500) -> StoryDetail:
    """One story with its documents (newest first), outlets and per-day timeline (Vietnam days);
    a merged story resolves to the story it went into."""
    sd, d, src = st.story_documents, t.documents, t.sources
    with db.read() as conn:
        r = _live(conn, story_id)
        story_id = r.id
        when = func.coalesce(d.c.published_at, d.c.fetched_at)
        rows = conn.execute(
            select(d, src.c.name.label("source_name"))
            .select_from(sd.join(d, d.c.id == sd.c.doc_id).outerjoin(src, src.c.id == d.c.source_id))
            .where(sd.c.story_id == story_id)
            .order_by(when.desc(), d.c.id.desc())
            .limit(max_documents)
        ).all()
        e = st.story_edits
        mine = (e.c.payload["into"].as_integer() == story_id) | (e.c.payload["from"].as_integer() == story_id)
        edits = [
            dict(kind=x.kind, payload=x.payload, user=x.user, at=x.at)
            for x in conn.execute(select(e).where(mine).order_by(e.c.id))
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
