"""Domain objects shared by every stage of the pipeline.

They are plain dataclasses: the store turns them into rows, sources produce them, the web shows them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

DOC_KINDS = ("article", "post", "official", "tip")  # tip: sent in by the public (kiemchung.tips)
#: Source kinds that are not connectors (never polled): import files, the bundled sample, and outlets
#: (publishers known only by name). The polled kinds come from the connector registry.
NON_POLLED_KINDS = ("import", "sample", "outlet")


def __getattr__(name: str) -> Any:
    # SOURCE_KINDS is derived from the connector registry (kiemchung.sources.connectors), read lazily so
    # that importing the domain objects does not import every connector.
    if name == "SOURCE_KINDS":
        from kiemchung.sources.connectors import kinds

        return (*kinds(), *NON_POLLED_KINDS)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass
class Document:
    """One article, post or official statement, as it came from a source.

    ``raw`` is the untouched payload (feed entry XML/JSON, page HTML, import row); the store keeps it
    compressed so a parser bug never loses anything. ``author`` is the handle as received; the store
    hashes it before writing unless the installation turned hashing off.
    """

    url: str | None = None
    title: str = ""
    lead: str = ""
    body: str = ""
    kind: str = "article"
    source_id: int | None = None
    source_name: str | None = None
    platform: str | None = None
    external_id: str | None = None
    author: str | None = None
    published_at: dt.datetime | None = None
    fetched_at: dt.datetime | None = None
    language: str | None = None
    engagement: dict[str, int] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    raw: bytes | str | None = None
    id: int | None = None

    def text(self) -> str:
        """Title, lead and body joined by blank lines (empty parts left out)."""
        return "\n\n".join(p for p in (self.title, self.lead, self.body) if p)

    def display_title(self, n: int = 12) -> str:
        """The title, or for a document without one (a post) its first words; "#id" when empty."""
        from kiemchung.text import first_words

        return self.title.strip() or first_words(self.lead or self.body, n) or f"#{self.id}"


@dataclass
class Source:
    """A place documents come from: a feed, a web page, an import file, the bundled sample."""

    kind: str
    url: str
    name: str = ""
    id: int | None = None
    enabled: bool = True
    poll_interval_s: int = 900
    etag: str | None = None
    last_modified: str | None = None
    last_success_at: dt.datetime | None = None
    last_error_at: dt.datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    failure_kind: str | None = None  # "soft" or "hard"
    created_at: dt.datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    #: Where the connector's next fetch starts (its own JSON; None before the first poll).
    cursor: dict[str, Any] | None = None
    #: What the last poll found out of shape while still collecting the rest (None: nothing).
    last_problem: str | None = None

    @property
    def healthy(self) -> bool:
        """A source is healthy until it fails three times in a row, or once hard."""
        if self.failure_kind == "hard" and self.consecutive_failures > 0:
            return False
        return self.consecutive_failures < 3
