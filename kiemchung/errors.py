"""The exception tree of kiemchung.

Every error the library raises on purpose derives from :class:`KiemchungError`, so the CLI and the
web app can turn it into one clear line (CLI) or a 4xx answer (web) without catching anything else.

    KiemchungError
    ├── ConfigError           bad settings or arguments
    ├── StoreError            database problems (driver exceptions are wrapped here)
    │   └── MigrationError
    ├── QueryError            a search query that cannot be parsed
    ├── SourceError           a source could not be fetched or parsed
    │   ├── FetchError        network-level failure (timeout, HTTP status, too large, redirects)
    │   └── ParseError        the payload is not what it claims to be (broken feed, not HTML)
    ├── ImportFileError       an import file as a whole is unusable (row errors are reported, not raised)
    └── NotFoundError         an object asked for by id does not exist
"""

from __future__ import annotations


class KiemchungError(Exception):
    """Base class of every error kiemchung raises on purpose."""


class ConfigError(KiemchungError):
    """Settings or arguments are invalid."""


class StoreError(KiemchungError):
    """The database could not do what was asked."""


class MigrationError(StoreError):
    """The database schema could not be brought up to date."""


class QueryError(KiemchungError):
    """A search query could not be parsed."""


class SourceError(KiemchungError):
    """A source could not be fetched or parsed.

    ``soft`` failures (timeouts, 429, 5xx) are expected to heal by themselves; hard ones (404, a feed
    that is not a feed) need a person to look.
    """

    def __init__(self, message: str, *, soft: bool = False, reason: str = "error") -> None:
        super().__init__(message)
        self.soft = soft
        self.reason = reason


class FetchError(SourceError):
    """A network-level failure: timeout, refused, bad status, too large, too many redirects."""


class ParseError(SourceError):
    """A payload is not what it claims to be."""


class ImportFileError(KiemchungError):
    """An import file cannot be read at all (row-level problems are reported, not raised)."""


class NotFoundError(KiemchungError):
    """An object asked for by id does not exist."""
