"""The store: one :class:`Database` object owns the connections, the schema and its migrations."""

from kiemchung.store.database import Database, document_from_row

__all__ = ["Database", "document_from_row"]
