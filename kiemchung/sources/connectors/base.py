"""The connector interface: one class per source kind, with one job.

A connector fetches the new items of one source since a cursor, through the shared guarded polite
client (:class:`kiemchung.sources.http.Fetcher`: address guard, robots.txt, per-host rate, retries,
size limits, conditional GET). It never touches the store: the collector
(:class:`kiemchung.collect.Collector`) stores the documents, the new cursor, the conditional-GET
validators and the source's health. See docs/sources.md for a whole connector.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from kiemchung import timeutil
from kiemchung.errors import ConfigError
from kiemchung.models import Document, Source
from kiemchung.sources.http import Fetcher, FetchResult


@dataclass
class Batch:
    """What one fetch of one source brought.

    ``documents``: the new items (the collector sets their source, fetch time and kind).
    ``cursor``: where the next fetch starts (any JSON-able dict, stored with the source; ``None`` keeps
    the stored one). ``etag``/``last_modified``: validators of the source's own URL for the next
    conditional GET. ``not_modified``: the source answered 304, nothing to do. ``problems``: what did
    not fit the expected shape (an item without a date, a page that would not parse); the rest was
    collected, and ``sources health`` shows them for this source (Vietnamese first, then English).
    """

    documents: list[Document] = field(default_factory=list)
    cursor: dict[str, Any] | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    problems: list[str] = field(default_factory=list)


class Connector:
    """Base class of a source kind. Subclass it, set :attr:`kind` and the labels, implement :meth:`fetch`,
    and decorate the class with :func:`kiemchung.sources.connectors.register`.

    An instance serves one source for one poll: ``self.source`` (its URL, name, ``meta``, stored
    ``etag``/``last_modified``), ``self.fetcher`` (the shared polite client; use :meth:`get`, never
    another HTTP client) and ``self.clock`` (aware "now"; tests inject one).
    """

    #: The code stored in ``sources.kind`` and typed after ``--kind`` (lowercase, at most 20 chars).
    kind: ClassVar[str] = ""
    #: Labels shown to users (Vietnamese, English).
    label_vi: ClassVar[str] = ""
    label_en: ClassVar[str] = ""
    #: One line of help for ``sources add --kind`` and the web form (Vietnamese (English)).
    help: ClassVar[str] = ""
    #: URL schemes a person may register; ``file://`` only for kinds that read local files (CLI only).
    schemes: ClassVar[tuple[str, ...]] = ("http", "https")
    #: Whether the collector applies its full-text step (fetch the page of items with a short summary).
    full_text: ClassVar[bool] = False
    #: Whether the kind pages back to a start date a person gives (``meta.since``): see :meth:`start_meta`.
    pages_back: ClassVar[bool] = False

    def __init__(self, source: Source, fetcher: Fetcher, *, clock: Callable[[], dt.datetime] = timeutil.now,
                 db: Any = None):
        self.source = source
        self.fetcher = fetcher
        self.clock = clock
        # The installation's store, for :meth:`setting` (API keys) and :meth:`store`; None in tests that
        # drive a connector alone.
        self.db = db

    # -- the one job -------------------------------------------------------------------------------

    def fetch(self, cursor: dict[str, Any] | None) -> Batch:
        """Fetch the items that are new since ``cursor`` (``None`` on the first poll).

        Raise :class:`kiemchung.errors.SourceError` (``FetchError``, ``ParseError``; reason
        ``"changed_shape"`` for a page that no longer looks like this kind) when nothing could be
        collected; report partial trouble in :attr:`Batch.problems` instead.
        """
        raise NotImplementedError

    def store(self, db: Any, batch: Batch) -> list[str]:
        """Store what this kind brings besides documents (``claimreview``: other publishers'
        fact-checks); the collector calls it after :meth:`fetch` and adds the problems it returns (one
        line per item refused; the rest stored) to the poll's. Most kinds bring documents only."""
        return []

    # -- helpers for subclasses --------------------------------------------------------------------

    def setting(self, key: str) -> str:
        """The installation's setting ``key`` (kiemchung.store.settings; e.g. an API key), "" without a store."""
        if self.db is None:
            return ""
        from kiemchung.store import settings

        return settings.value(self.db, key)

    def get(self, url: str | None = None, *, conditional: bool = False) -> FetchResult:
        """GET ``url`` (default: the source's URL) through the shared fetcher; with ``conditional`` the
        source's stored ``etag``/``last_modified`` are sent (a 304 gives ``not_modified=True``)."""
        url = url or self.source.url
        return self.fetcher.get(
            url,
            etag=self.source.etag if conditional else None,
            last_modified=self.source.last_modified if conditional else None,
            local_files="file" in self.schemes and url[:5].lower() == "file:",
        )

    # -- registration-time rules -------------------------------------------------------------------

    @classmethod
    def start_meta(cls, since: str | None, *, field: str = "since") -> dict[str, str]:
        """The source's ``meta`` for a start date a person typed (``dd/mm/yyyy`` or ``YYYY-MM-DD``; the
        CLI's ``--since``, the web form's and the API's ``since``): ``{}`` for none. A day that cannot be
        read, or a start date for a kind that does not page back, is a :class:`ConfigError`."""
        if since is None or not str(since).strip():
            return {}
        if not cls.pages_back:
            from kiemchung.sources.connectors.registry import connector_class, kinds

            back = ", ".join(k for k in kinds() if connector_class(k).pages_back)
            raise ConfigError(f"Ngày bắt đầu ({field}) chỉ dùng cho nguồn lấy lùi được ({back}), không dùng cho "
                              f"loại {cls.kind} (a start date is only for kinds that page back: {back})")
        return {"since": timeutil.day_start(since, name=field).isoformat()}

    @classmethod
    def check_url(cls, url: str, *, local_files: bool = False) -> str:
        """The URL a person typed, stripped, or :class:`ConfigError` when this kind cannot take it.

        ``local_files``: the caller may register ``file://`` URLs (the CLI, run by an administrator)."""
        url = (url or "").strip()
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        allowed = [s for s in cls.schemes if s != "file" or local_files]
        if scheme not in allowed or not url[len(scheme) + 1:].startswith("//") or len(url) > 2000:
            shown = ", ".join(f"{s}://" for s in allowed)
            raise ConfigError(f"URL nguồn phải bắt đầu bằng {shown} (bad source URL): {url[:200]}")
        return url

    @classmethod
    def polls(cls, source: Source) -> bool:
        """Whether the collector polls this (enabled) source; a kind may exclude some of its sources."""
        return True
