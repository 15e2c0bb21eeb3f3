"""The source directory: what a desk knows about each source, and collections of sources.

A source's *profile* names the outlet that publishes it ("VnExpress"), the outlet's type (one of
:data:`OUTLET_TYPES`: central press, local press, agency or official portal, TV, social channel,
fact-checker), the province it covers (a new-province code of kiemchung/data/provinces.json, any
province name or old code accepted on the way in) and its language. A *collection* is a named set of
sources ("báo địa phương Nghệ An"); search, stories, trends, reports and the API take one as a filter
through :func:`collection_source_ids`.

The directory travels as CSV (:func:`import_directory`, :func:`export_directory`; columns in
:data:`CSV_COLUMNS`): a row is a source by its address, with its profile and the collections it
belongs to (separated by ``;``). Importing the same file again changes nothing; a bad row is reported
with its line number and the good rows are kept. :func:`load_starter` loads the directory shipped in
kiemchung/data/directory.csv (public Vietnamese outlets' feeds, names and addresses only).

Tables created by migration 0019.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, delete, insert, select, update

from kiemchung import audit
from kiemchung.errors import ImportFileError, KiemchungError, NotFoundError, QueryError
from kiemchung.export import write_csv
from kiemchung.models import Source
from kiemchung.store import schema as t
from kiemchung.store.schema import UTCDateTime, metadata
from kiemchung.timeutil import now

__all__ = [
    "CSV_COLUMNS",
    "Collection",
    "DirectoryImport",
    "OUTLET_TYPES",
    "SourceProfile",
    "add_to_collection",
    "collection_source_ids",
    "create_collection",
    "delete_collection",
    "export_directory",
    "get_collection",
    "import_directory",
    "list_collections",
    "load_starter",
    "profiles",
    "remove_from_collection",
    "resolve_source_filter",
    "set_profile",
    "source_collections",
]

# Outlet types; labels in kiemchung.labels ("outlet_type").
OUTLET_TYPES = ("central", "local", "official", "tv", "social", "factcheck")
MAX_NAME = 200
MAX_COLLECTIONS_PER_ROW = 20

source_profiles = Table(
    "source_profiles",
    metadata,
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    Column("outlet", Text, nullable=False, default=""),
    Column("outlet_type", String(20)),
    Column("province_code", String(40)),
    Column("language", String(8)),
    Column("updated_at", UTCDateTime, nullable=False),
)

collections = Table(
    "collections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
)

collection_sources = Table(
    "collection_sources",
    metadata,
    Column("collection_id", Integer, ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
)


@dataclass
class SourceProfile:
    """What the directory knows about one source (empty strings / None when not known)."""

    source_id: int
    outlet: str = ""
    outlet_type: str | None = None
    province_code: str | None = None
    language: str | None = None


@dataclass
class Collection:
    """A named set of sources."""

    id: int
    name: str
    description: str = ""
    source_ids: list[int] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Checking values


def _clean_type(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    if not value:
        return None
    if value not in OUTLET_TYPES:
        raise QueryError(
            f"Loại cơ quan không hợp lệ (unknown outlet type): {value} — dùng/use {', '.join(OUTLET_TYPES)}"
        )
    return value


def _clean_province(value: str | None) -> str | None:
    from kiemchung.places import resolve_place

    value = (value or "").strip()
    if not value:
        return None
    found = resolve_place(value)
    if found is None:
        raise QueryError(f"Không tìm thấy tỉnh/thành (unknown province): {value}")
    return found.code


def _clean_language(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    if not value:
        return None
    if not (2 <= len(value) <= 8 and value.replace("-", "").isalpha() and value.isascii()):
        raise QueryError(f"Mã ngôn ngữ không hợp lệ (invalid language code, e.g. vi, en): {value}")
    return value


def _clean_name(value: str | None, what: str = "Tên bộ sưu tập (collection name)") -> str:
    value = " ".join((value or "").split())
    if not value:
        raise QueryError(f"{what} trống (is empty)")
    if len(value) > MAX_NAME:
        raise QueryError(f"{what} dài quá {MAX_NAME} ký tự (longer than {MAX_NAME} characters)")
    return value


# ---------------------------------------------------------------------------------------------
# Profiles


def profiles(db, source_ids: Iterable[int] | None = None) -> dict[int, SourceProfile]:
    """Profiles by source id (of ``source_ids``, or of every source that has one)."""
    p = source_profiles
    query = select(p)
    if source_ids is not None:
        ids = [int(x) for x in source_ids]
        if not ids:
            return {}
        query = query.where(p.c.source_id.in_(ids))
    with db.read() as conn:
        return {
            r.source_id: SourceProfile(r.source_id, r.outlet or "", r.outlet_type, r.province_code, r.language)
            for r in conn.execute(query)
        }


def _write_profile(conn, profile: SourceProfile) -> tuple[dict | None, dict]:
    """Upsert ``profile``; (before, after) as plain dicts (before None when there was none)."""
    p = source_profiles
    row = conn.execute(select(p).where(p.c.source_id == profile.source_id)).first()
    values = {k: v for k, v in asdict(profile).items() if k != "source_id"}
    before = None
    if row is not None:
        before = {k: getattr(row, k) for k in values}
        before["outlet"] = before["outlet"] or ""
        if before != values:
            conn.execute(update(p).where(p.c.source_id == profile.source_id).values(**values, updated_at=now()))
    else:
        conn.execute(insert(p).values(source_id=profile.source_id, **values, updated_at=now()))
    return before, values


def set_profile(
    db,
    source_id: int,
    *,
    outlet: str | None = None,
    outlet_type: str | None = None,
    province: str | None = None,
    language: str | None = None,
    actor: Any = None,
) -> SourceProfile:
    """Set a source's profile (every field replaced; empty means unknown). Audited as ``source.profile``
    when something changed. Bad values raise :class:`~kiemchung.errors.QueryError`."""
    source = db.get_source(int(source_id))
    profile = SourceProfile(
        source.id,
        " ".join((outlet or "").split())[:MAX_NAME],
        _clean_type(outlet_type),
        _clean_province(province),
        _clean_language(language),
    )
    with db.write() as conn:
        before, after = _write_profile(conn, profile)
        if before != after and actor is not None:
            audit.record(conn, actor, "source.profile", f"source:{source.id}", before, after)
    return profile


# ---------------------------------------------------------------------------------------------
# Collections


def _collection_row(conn, ref: int | str):
    c = collections
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
        row = conn.execute(select(c).where(c.c.id == int(ref))).first()
        if row is not None:
            return row
    if isinstance(ref, str):
        return conn.execute(select(c).where(c.c.name == " ".join(ref.split()))).first()
    return None


def get_collection(db, ref: int | str) -> Collection:
    """A collection by id or name, with its source ids; :class:`NotFoundError` when there is none."""
    with db.read() as conn:
        row = _collection_row(conn, ref)
        if row is None:
            raise NotFoundError(f"Không tìm thấy bộ sưu tập nguồn (collection not found): {ref}")
        ids = [
            r[0]
            for r in conn.execute(
                select(collection_sources.c.source_id)
                .where(collection_sources.c.collection_id == row.id)
                .order_by(collection_sources.c.source_id)
            )
        ]
    return Collection(row.id, row.name, row.description or "", ids)


def collection_source_ids(db, ref: int | str) -> list[int]:
    """The ids of the sources in a collection (by id or name), ascending: the filter search, stories,
    trends, reports and the API apply. Unknown collection: :class:`~kiemchung.errors.NotFoundError`."""
    return get_collection(db, ref).source_ids


def resolve_source_filter(db, *, source: int | None = None, collection: int | str | None = None) -> list[int] | None:
    """The source ids a source and/or a collection filter allow (None: no filter).

    A source and a collection together allow the source only when it is in the collection (an empty
    list: nothing matches). An empty collection allows nothing."""
    if collection is None or (isinstance(collection, str) and not collection.strip()):
        return [int(source)] if source else None
    ids = collection_source_ids(db, collection)
    if source:
        return [int(source)] if int(source) in ids else []
    return ids


def list_collections(db) -> list[Collection]:
    """Every collection with its source ids, by name."""
    with db.read() as conn:
        members: dict[int, list[int]] = {}
        for cid, sid in conn.execute(
            select(collection_sources.c.collection_id, collection_sources.c.source_id).order_by(
                collection_sources.c.source_id
            )
        ):
            members.setdefault(cid, []).append(sid)
        rows = conn.execute(select(collections).order_by(collections.c.name)).all()
    return [Collection(r.id, r.name, r.description or "", members.get(r.id, [])) for r in rows]


def source_collections(db) -> dict[int, list[str]]:
    """Collection names per source id (for listings and the CSV export)."""
    with db.read() as conn:
        out: dict[int, list[str]] = {}
        for sid, name in conn.execute(
            select(collection_sources.c.source_id, collections.c.name)
            .join(collections, collections.c.id == collection_sources.c.collection_id)
            .order_by(collections.c.name)
        ):
            out.setdefault(sid, []).append(name)
    return out


def _ensure_collection(conn, name: str, description: str = "") -> tuple[int, bool]:
    row = conn.execute(select(collections.c.id).where(collections.c.name == name)).first()
    if row is not None:
        return row[0], False
    result = conn.execute(insert(collections).values(name=name, description=description, created_at=now()))
    return result.inserted_primary_key[0], True


def create_collection(db, name: str, *, description: str = "", actor: Any = None) -> Collection:
    """Make a collection (a name already taken returns that collection unchanged). Audited as ``collection.create``."""
    name = _clean_name(name)
    description = " ".join((description or "").split())[:1000]
    with db.write() as conn:
        db.backend.hold_lock(conn, "collections")
        cid, made = _ensure_collection(conn, name, description)
        if made and actor is not None:
            audit.record(conn, actor, "collection.create", f"collection:{cid}", None,
                         {"name": name, "description": description})
    return get_collection(db, cid)


def delete_collection(db, ref: int | str, *, actor: Any = None) -> Collection:
    """Delete a collection (its sources stay). Audited as ``collection.delete``."""
    found = get_collection(db, ref)
    with db.write() as conn:
        conn.execute(delete(collections).where(collections.c.id == found.id))
        if actor is not None:
            audit.record(conn, actor, "collection.delete", f"collection:{found.id}",
                         {"name": found.name, "sources": found.source_ids}, None)
    return found


def _change_members(db, ref, source_ids: Iterable[int], *, add: bool, actor: Any) -> Collection:
    found = get_collection(db, ref)
    wanted = sorted({int(x) for x in source_ids})
    if add:
        with db.read() as conn:
            known = {r[0] for r in conn.execute(select(t.sources.c.id).where(t.sources.c.id.in_(wanted)))}
        missing = [x for x in wanted if x not in known]
        if missing:
            raise NotFoundError(f"Không tìm thấy nguồn (source not found): {', '.join(map(str, missing))}")
    current = set(found.source_ids)
    changed = [x for x in wanted if (x not in current) == add]
    if not changed:
        return found
    cs = collection_sources
    with db.write() as conn:
        if add:
            conn.execute(insert(cs), [{"collection_id": found.id, "source_id": x} for x in changed])
        else:
            conn.execute(delete(cs).where(cs.c.collection_id == found.id, cs.c.source_id.in_(changed)))
        if actor is not None:
            after = sorted(current | set(changed)) if add else sorted(current - set(changed))
            audit.record(conn, actor, "collection.sources", f"collection:{found.id}",
                         {"name": found.name, "sources": found.source_ids}, {"name": found.name, "sources": after})
    return get_collection(db, found.id)


def add_to_collection(db, ref: int | str, source_ids: Iterable[int], *, actor: Any = None) -> Collection:
    """Put sources in a collection (those already in it are left). Audited as ``collection.sources``."""
    return _change_members(db, ref, source_ids, add=True, actor=actor)


def remove_from_collection(db, ref: int | str, source_ids: Iterable[int], *, actor: Any = None) -> Collection:
    """Take sources out of a collection. Audited as ``collection.sources``."""
    return _change_members(db, ref, source_ids, add=False, actor=actor)


# ---------------------------------------------------------------------------------------------
# CSV import and export

CSV_COLUMNS = ["url", "kind", "name", "outlet", "type", "province", "language", "collections"]
MAX_ROWS = 100_000


@dataclass
class DirectoryImport:
    """What an import did: sources added, sources whose profile or collections changed, rows left as
    they were, and bad rows as (line number, message)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Rows read (good and bad)."""
        return self.added + self.updated + self.unchanged + len(self.errors)


def _row_values(row: dict[str, str | None]) -> dict[str, Any]:
    """Checked values of one CSV row (raises QueryError with a bilingual message)."""
    from kiemchung.links import http_url

    url = (row.get("url") or "").strip()
    if not url:
        raise QueryError("Thiếu địa chỉ (url is empty)")
    kind = (row.get("kind") or "feed").strip().lower() or "feed"
    if kind in ("import", "sample", "outlet"):
        raise QueryError(f"Loại nguồn không hợp lệ (unknown source kind): {kind}")
    if http_url(url) is None:
        raise QueryError(f"Địa chỉ không phải http(s) (not an http(s) address): {url[:200]}")
    # The kind's own registration rules (kiemchung.sources.connectors): unknown kinds are refused, and
    # a kind may rewrite the address it is given (a YouTube channel page becomes its feed).
    from kiemchung.sources.connectors import connector_class

    url = connector_class(kind).check_url(url)
    names = [" ".join(n.split()) for n in (row.get("collections") or "").split(";")]
    names = [n for n in names if n]
    if len(names) > MAX_COLLECTIONS_PER_ROW:
        raise QueryError(f"Quá nhiều bộ sưu tập trong một dòng (more than {MAX_COLLECTIONS_PER_ROW} collections)")
    for n in names:
        _clean_name(n)
    return {
        "url": url,
        "kind": kind,
        "name": " ".join((row.get("name") or "").split())[:MAX_NAME],
        "outlet": " ".join((row.get("outlet") or "").split())[:MAX_NAME],
        "outlet_type": _clean_type(row.get("type")),
        "province_code": _clean_province(row.get("province")),
        "language": _clean_language(row.get("language")),
        "collections": sorted(set(names)),
    }


def _read_rows(stream: TextIO) -> Iterable[tuple[int, dict[str, str | None]]]:
    reader = csv.DictReader(stream)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "url" not in header:
        raise ImportFileError(
            "Tệp danh bạ nguồn thiếu cột url (the directory file has no url column); "
            f"cột cần có / columns: {', '.join(CSV_COLUMNS)}"
        )
    reader.fieldnames = header
    for row in reader:
        # The reader's line count after the row: its last line (its only one unless a quoted cell
        # spans lines).
        yield reader.line_num, row


def import_directory(db, source: str | Path | TextIO, *, actor: Any = None) -> DirectoryImport:
    """Load a directory CSV (columns :data:`CSV_COLUMNS`; only ``url`` is required).

    Each good row adds its source (``kind`` defaults to ``feed``), or finds it by address, then sets
    its profile and puts it in its collections (made when missing; collections it is in but the row
    does not name are left, so a file never takes sources out of collections). Rows already as the
    file says are counted unchanged. Bad rows are reported by line number; the others are kept.
    Each row is written in its own transaction, audited like the same change made by hand."""
    from kiemchung.netguard import AddressPolicy

    policy = AddressPolicy.from_db(db)
    report = DirectoryImport()
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            stream: TextIO = path.open("r", encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise ImportFileError(f"Không đọc được tệp (cannot read file) {path.name}: {exc.strerror or exc}") from exc
    else:
        stream = source
    try:
        for line, row in _read_rows(stream):
            if report.rows >= MAX_ROWS:
                report.errors.append((line, f"Quá {MAX_ROWS} dòng, phần còn lại bỏ qua (more than {MAX_ROWS} rows; rest skipped)"))
                break
            if None in row:  # more cells than columns
                report.errors.append((line, "Dòng có nhiều ô hơn số cột (more cells than columns)"))
                continue
            try:
                values = _row_values(row)
                # Refused at once when the address names an internal host (every fetch checks again).
                policy.check_url(values["url"])
                status = _import_row(db, values, actor)
            except KiemchungError as exc:
                report.errors.append((line, str(exc)))
                continue
            setattr(report, status, getattr(report, status) + 1)
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"Tệp không phải UTF-8 (file is not UTF-8): {exc.reason}") from exc
    except csv.Error as exc:
        raise ImportFileError(f"Tệp CSV hỏng (broken CSV): {exc}") from exc
    finally:
        if isinstance(source, (str, Path)):
            stream.close()
    return report


def _import_row(db, values: dict[str, Any], actor: Any) -> str:
    with db.read() as conn:
        existing = conn.execute(select(t.sources.c.id).where(t.sources.c.url == values["url"])).scalar()
    added = existing is None
    if added:
        src = db.add_source(Source(kind=values["kind"], url=values["url"], name=values["name"]), actor=actor)
        source_id = src.id
    else:
        source_id = existing
    profile = SourceProfile(source_id, values["outlet"], values["outlet_type"], values["province_code"], values["language"])
    changed = False
    with db.write() as conn:
        db.backend.hold_lock(conn, "collections")
        before, after = _write_profile(conn, profile)
        if before != after:
            changed = True
            if actor is not None:
                audit.record(conn, actor, "source.profile", f"source:{source_id}", before, after)
        for name in values["collections"]:
            cid, made = _ensure_collection(conn, name)
            if made and actor is not None:
                audit.record(conn, actor, "collection.create", f"collection:{cid}", None, {"name": name, "description": ""})
            cs = collection_sources
            there = conn.execute(
                select(cs.c.source_id).where(cs.c.collection_id == cid, cs.c.source_id == source_id)
            ).first()
            if there is None:
                conn.execute(insert(cs).values(collection_id=cid, source_id=source_id))
                changed = True
                if actor is not None:
                    audit.record(conn, actor, "collection.sources", f"collection:{cid}", None,
                                 {"name": name, "added": [source_id]})
    if added:
        return "added"
    return "updated" if changed else "unchanged"


def directory_rows(db) -> Iterable[dict[str, str]]:
    """The directory as CSV rows (every source but import files and the sample), by source id."""
    profs = profiles(db)
    member = source_collections(db)
    for s in db.list_sources():
        if s.kind in ("import", "sample", "outlet"):
            continue
        p = profs.get(s.id) or SourceProfile(s.id)
        yield {
            "url": s.url,
            "kind": s.kind,
            "name": s.name,
            "outlet": p.outlet,
            "type": p.outlet_type or "",
            "province": p.province_code or "",
            "language": p.language or "",
            "collections": ";".join(member.get(s.id, [])),
        }


def export_directory(db, out: TextIO) -> int:
    """Write the directory as CSV to ``out`` (importable again as it is); returns the number of rows."""
    return write_csv(out, directory_rows(db), fieldnames=CSV_COLUMNS)


STARTER = "directory.csv"


def starter_text() -> str:
    """The starter directory shipped with kiemchung (kiemchung/data/directory.csv)."""
    return resources.files("kiemchung.data").joinpath(STARTER).read_text("utf-8")


def load_starter(db, *, actor: Any = None) -> DirectoryImport:
    """Load the starter directory (public Vietnamese outlets' feeds); loading it again changes nothing."""
    return import_directory(db, io.StringIO(starter_text()), actor=actor)
