"""kiemchung: a Vietnamese-first information-integrity workbench."""

from kiemchung.errors import (
    ConfigError,
    FetchError,
    ImportFileError,
    KiemchungError,
    MigrationError,
    NotFoundError,
    ParseError,
    QueryError,
    SourceError,
    StoreError,
)
from kiemchung.models import Document, Source

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Document",
    "FetchError",
    "ImportFileError",
    "KiemchungError",
    "MigrationError",
    "NotFoundError",
    "ParseError",
    "QueryError",
    "Source",
    "SourceError",
    "StoreError",
    "__version__",
]
