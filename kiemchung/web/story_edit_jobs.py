"""Hand edits of stories (merge, split) started from the web: checks, audit entries, and job status."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

from kiemchung import audit, timeutil
from kiemchung.errors import ConfigError, NotFoundError, QueryError
from kiemchung.stories import service
from kiemchung.web import queries


@dataclass
class StoryEdit:
    """A hand edit (merge or split) handed to the story service: ``running``, ``done``, ``failed`` or
    ``refused`` (bad input, raised to the caller)."""

    job: int
    kind: str
    story: int
    user: str
    status: str = "running"
    result: int | None = None  # the kept story (merge) or the new story (split)
    error: str | None = None
    started: dt.datetime = field(default_factory=timeutil.now)


# A hand edit changes the story tables in one transaction (well under a second on the 153k-item year;
# the clusterer replays it later). Edits still run one at a time on a worker thread of this process, so
# that a slow disk or a locked database cannot hold a request: it waits EDIT_WAIT seconds for the result
# and otherwise answers "still running" (202 / a notice).
EDIT_WAIT = 8.0
_edit_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="story-edit")
_edits: dict[int, StoryEdit] = {}
_edit_ids = itertools.count(1)
_edit_lock = threading.Lock()


def _run_edit(db, user, kind: str, story_id: int, work, before: dict) -> StoryEdit:
    """Run ``work()`` (returns a story id) on the edit thread; audit the outcome either way.

    Input the service refuses (QueryError, NotFoundError) is raised to the caller and not audited."""
    with _edit_lock:
        edit = StoryEdit(next(_edit_ids), kind, story_id, user.name)
        _edits[edit.job] = edit
        for old in sorted(_edits)[:-200]:  # keep the last 200 edits' status
            _edits.pop(old, None)

    def job() -> int:
        try:
            edit.result = work()
        except (QueryError, NotFoundError) as exc:  # refused input: answered to the caller
            edit.status, edit.error = "refused", str(exc)
            raise
        except Exception as exc:  # recorded with its reason (the audit log and the job status), re-raised
            edit.status, edit.error = "failed", str(exc) or type(exc).__name__
            with db.write() as conn:
                audit.record(conn, user, f"story.{kind}.failed", f"story:{story_id}", before, {"error": edit.error})
            raise
        edit.status = "done"  # the library audited the edit, with this user as its actor
        queries.clear_cache()
        return edit.result

    future = _edit_pool.submit(job)
    try:
        future.result(timeout=EDIT_WAIT)
    except FutureTimeout:  # still running: the caller answers "running"
        pass
    except (QueryError, NotFoundError):
        with _edit_lock:
            _edits.pop(edit.job, None)
        raise
    return edit


def story_edit(job: int) -> StoryEdit:
    """The status of a hand edit started by this server process (NotFoundError if unknown)."""
    edit = _edits.get(job)
    if edit is None:
        raise NotFoundError(f"Không có thao tác chỉnh sửa số {job} (no such story edit)")
    return edit


def pending_edits(story_id: int) -> list[StoryEdit]:
    """Edits of this story still running, or failed, in this process (the last 200 edits)."""
    return [e for e in list(_edits.values()) if e.story == story_id and e.status != "done"]


def merge_stories(db, user, story_id: int, other: int) -> StoryEdit:
    """Merge story ``other`` into ``story_id`` through the story service; audit-logged.

    Merges are followed; merging a story with itself (or with a story already merged into it) is refused."""
    if int(other) == int(story_id):
        raise QueryError("Không thể gộp một câu chuyện với chính nó (cannot merge a story into itself)")
    a, b = service.find_story(db, story_id), service.find_story(db, other)
    if a.id == b.id:
        raise QueryError("Hai câu chuyện này đã được gộp (these stories are already merged)")
    before = {"into": a.id, "from": b.id, "doc_counts": [a.doc_count, b.doc_count]}
    return _run_edit(db, user, "merge", a.id, lambda: service.merge_stories(db, a.id, b.id, user=user.name, actor=user), before)


def split_story(db, user, story_id: int, doc_ids: list[int]) -> StoryEdit:
    """Move documents out of a story into a new one through the story service; audit-logged.

    The service refuses documents outside the story, and splitting out none or all of them."""
    story = service.find_story(db, story_id)
    ids = sorted({int(x) for x in doc_ids})
    before = {"story": story.id, "docs": ids}
    return _run_edit(db, user, "split", story.id, lambda: service.split_story(db, story.id, ids, user=user.name, actor=user), before)


def edit_done(edit: StoryEdit) -> int | None:
    """The resulting story id of a finished edit, None while running; a failed edit raises its error."""
    if edit.status == "failed":
        raise ConfigError(edit.error or "Thao tác thất bại (edit failed)")
    if edit.status == "refused":  # refused after the request stopped waiting
        raise QueryError(edit.error or "Thao tác bị từ chối (edit refused)")
    return edit.result if edit.status == "done" else None
