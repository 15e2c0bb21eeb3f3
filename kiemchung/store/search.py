"""Full-text search over stored documents, with or without diacritics.

Query language (documented in docs/search.md)::

    nuoc chanh              both words, anywhere (AND is implied)
    "nước chanh"            the exact phrase
    lũ OR lụt, lũ | lụt     either
    sạt lở -"tin giả"       NOT: a leading minus, or NOT, before a word, a phrase or a group
    (bão OR lũ) AND "Quảng Nam"

A query typed with diacritics is matched accent-sensitively against the tone-canonical text ("hoà"
finds "hòa", not "hóa"); a query typed without them is matched against the diacritic-free text
("nuoc chanh" finds "nước chanh"). When an accented query finds nothing, the diacritic-free match is
used instead. Teencode in queries ("ko", "dc") also matches the standard words it stands for.

Results are cached per database for :data:`CACHE_TTL` seconds (identical searches from a desk of
users refreshing the same page cost one query); any commit to the database by another connection
(a document added, a source changed) empties the cache at once, so a cached page is never staler
than the data. ``KIEMCHUNG_SEARCH_CACHE_TTL=0`` in the environment turns the cache off.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from sqlalchemy import select

from kiemchung import text, timeutil
from kiemchung.errors import QueryError
from kiemchung.models import Document
from kiemchung.store import schema as t
from kiemchung.store.backends import AllOf, AnyOf, FtsFilter, FtsQuery, Phrase, Without, dialect_backend
from kiemchung.store.database import Database, document_from_row

MAX_QUERY_CHARS = 1000
MAX_TERMS = 64
# Relevance ranking scores at most this many matches: the newest ones. A query that matches more
# (a single common syllable such as "nam" matches a third of a year of news) is ranked among its
# newest RELEVANCE_WINDOW matches, which keeps every search fast; narrower queries are ranked whole.
RELEVANCE_WINDOW = 2000
# Seconds a search result may be served from the cache (0 turns the cache off), and how many results
# each database keeps.
CACHE_TTL = float(os.environ.get("KIEMCHUNG_SEARCH_CACHE_TTL", "30") or 0)
CACHE_SIZE = 512

# ---------------------------------------------------------------------------------------------
# Parsing


@dataclass
class Term:
    """A word or a quoted phrase."""

    text: str
    phrase: bool = False


@dataclass
class Not:
    """Exclude what the inner expression matches."""

    node: object


@dataclass
class BoolOp:
    """AND / OR of two or more nodes."""

    op: str
    nodes: list[object] = field(default_factory=list)


_LEX = re.compile(r'\s*(?:(?P<phrase>"[^"]*"?)|(?P<lpar>\()|(?P<rpar>\))|(?P<bar>\|)|(?P<word>[^\s()"|]+))')
_OR_WORDS = {"OR", "HOẶC"}
# A query made only of exclusions has nothing to look for: refused with this message.
ONLY_NEGATIVE = (
    'Truy vấn chỉ có phần loại trừ: cần ít nhất một từ để tìm, ví dụ sạt lở -"tin giả" '
    "(a query needs at least one term to find, not only exclusions)"
)
_AND_WORDS = {"AND", "VÀ"}
_NOT_WORDS = {"NOT"}


def _lex(query: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(query):
        m = _LEX.match(query, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        if m.group("phrase") is not None:
            tokens.append(("phrase", m.group("phrase").strip('"')))
        elif m.group("lpar"):
            tokens.append(("(", "("))
        elif m.group("rpar"):
            tokens.append((")", ")"))
        elif m.group("bar"):
            tokens.append(("or", "|"))
        else:
            word = m.group("word")
            if word in _OR_WORDS:
                tokens.append(("or", word))
            elif word in _AND_WORDS:
                tokens.append(("and", word))
            elif word in _NOT_WORDS:
                tokens.append(("not", word))
            elif word.startswith("-") and len(word) > 1:
                tokens.append(("not", "-"))
                tokens.append(("word", word[1:]))
            elif word == "-" and query[pos : pos + 1] in ('"', "("):
                # A minus right before a phrase or a group excludes it: -"tin giả", -(bão OR lũ).
                tokens.append(("not", "-"))
            else:
                tokens.append(("word", word))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.toks = tokens
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i][0] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> object | None:
        node = self.or_expr()
        if self.i < len(self.toks):
            kind, value = self.toks[self.i]
            raise QueryError(f"Truy vấn không hợp lệ gần '{value}' (unexpected {kind!r} in query)")
        return node

    def or_expr(self) -> object | None:
        nodes = [self.and_expr()]
        while self.peek() == "or":
            self.take()
            nodes.append(self.and_expr())
        nodes = [n for n in nodes if n is not None]
        if not nodes:
            return None
        return nodes[0] if len(nodes) == 1 else BoolOp("OR", nodes)

    def and_expr(self) -> object | None:
        nodes = []
        while self.peek() in ("word", "phrase", "(", "not", "and"):
            if self.peek() == "and":
                self.take()
                continue
            nodes.append(self.unary())
        nodes = [n for n in nodes if n is not None]
        if not nodes:
            return None
        return nodes[0] if len(nodes) == 1 else BoolOp("AND", nodes)

    def unary(self) -> object | None:
        if self.peek() == "not":
            self.take()
            inner = self.unary()
            return Not(inner) if inner is not None else None
        return self.atom()

    def atom(self) -> object | None:
        if self.peek() is None:  # e.g. a query ending in NOT NOT
            return None
        kind, value = self.take()
        if kind == "(":
            node = self.or_expr()
            if self.peek() == ")":
                self.take()
            return node
        if kind == "phrase":
            return Term(value, phrase=True) if value.strip() else None
        return Term(value)


def parse_query(query: str) -> object | None:
    """Parse a user query into a small tree of :class:`Term`, :class:`BoolOp` and :class:`Not`."""
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"Truy vấn quá dài (query longer than {MAX_QUERY_CHARS} characters)")
    return _Parser(_lex(query)).parse()


# ---------------------------------------------------------------------------------------------
# Compiling to the backends' full-text tree


class _Compiler:
    def __init__(self, accented: bool) -> None:
        self.accented = accented
        self.terms: set[str] = set()
        self.count = 0

    def tokens(self, value: str) -> list[str]:
        return text.syllables(text.normalize(value), strip=not self.accented)

    def term(self, node: Term) -> object | None:
        toks = self.tokens(node.text)
        if not toks:
            return None
        self.count += len(toks)
        if self.count > MAX_TERMS:
            raise QueryError(f"Truy vấn có quá nhiều từ (more than {MAX_TERMS} terms)")
        self.terms.update(text.fold(t) for t in toks)
        variants = [toks]
        if len(toks) == 1 and not self.accented:
            # A lone teencode word also matches every standard word it may stand for ("bn" → bạn,
            # bao nhiêu); alternatives are added, never substituted.
            for alt in text.teencode_alternatives(toks[0]):
                variants.append(alt.split())
        else:
            expanded: list[str] = []
            for tok in toks:
                expanded.extend(
                    text.syllables(text.normalize(text.expand_teencode(tok)), strip=not self.accented)
                )
            if expanded != toks:
                variants.append(expanded)
        for v in variants[1:]:
            self.terms.update(text.fold(t) for t in v)
        phrases = [Phrase(tuple(v)) for v in variants]
        return phrases[0] if len(phrases) == 1 else AnyOf(tuple(phrases))

    def compile(self, node: object) -> tuple[object | None, bool]:
        """Full-text tree for ``node`` and whether it is purely negative."""
        if isinstance(node, Term):
            return self.term(node), False
        if isinstance(node, Not):
            inner, _ = self.compile(node.node)
            return inner, True
        if isinstance(node, BoolOp):
            positives: list[object] = []
            negatives: list[object] = []
            for child in node.nodes:
                expr, neg = self.compile(child)
                if expr is None:
                    continue
                (negatives if neg else positives).append(expr)
            if node.op == "OR":
                if negatives:
                    raise QueryError("Không thể dùng NOT bên trong OR (NOT is not allowed inside OR)")
                if not positives:
                    return None, False
                return AnyOf(tuple(positives)), False
            if not positives:
                if negatives:
                    raise QueryError(ONLY_NEGATIVE)
                return None, False
            expr = positives[0] if len(positives) == 1 else AllOf(tuple(positives))
            return (Without(expr, tuple(negatives)) if negatives else expr), False
        return None, False


def compile_tree(query: str, *, accented: bool | None = None) -> FtsQuery | None:
    """The full-text query every backend runs for ``query`` (None when nothing is left to look for).

    ``accented`` (guessed from the query when None) matches the tone-canonical text; otherwise the
    diacritic-free text is matched. Bad queries raise :class:`~kiemchung.errors.QueryError`.
    """
    tree = parse_query(query)
    if tree is None:
        return None
    if accented is None:
        accented = text.fold(query) != query.lower()
    compiler = _Compiler(accented)
    node, negative = compiler.compile(tree)
    if negative:
        raise QueryError(ONLY_NEGATIVE)
    if node is None:
        return None
    return FtsQuery(node, frozenset(compiler.terms), accented)


def compile_query(
    query: str, *, accented: bool | None = None, dialect: str = "sqlite"
) -> tuple[str | None, set[str], bool]:
    """The backend's own expression for ``query`` (FTS5 MATCH text on SQLite), the folded terms to
    highlight, and whether it is accented: for display and debugging; searches use :func:`compile_tree`."""
    if accented is None and parse_query(query) is not None:
        accented = text.fold(query) != query.lower()
    compiled = compile_tree(query, accented=accented)
    if compiled is None:
        return None, set(), bool(accented)
    return dialect_backend(dialect).fts_expression(compiled), set(compiled.terms), compiled.accented


# ---------------------------------------------------------------------------------------------
# Running


@dataclass
class Hit:
    """One search result: the document and a highlighted snippet."""

    document: Document
    score: float | None  # BM25 relevance (higher is better) when sorted by relevance, else None
    snippet: list[tuple[str, bool]]

    def snippet_text(self, open_mark: str = "[", close_mark: str = "]") -> str:
        """The snippet as plain text, highlighted parts wrapped in the given marks."""
        return "".join(f"{open_mark}{s}{close_mark}" if hl else s for s, hl in self.snippet)


@dataclass
class SearchResult:
    """Hits of one page, plus how the query was understood."""

    query: str
    hits: list[Hit]
    accented: bool
    fts: str | None
    total: int | None = None


@functools.lru_cache(maxsize=256)
def _term_kinds(terms: frozenset[str]) -> tuple[tuple[str, bool], ...]:
    """Each term, and whether it is a word token (letters and digits only)."""
    return tuple((w, w.isalnum()) for w in terms if w)


_NONSPACE = re.compile(r"\S*")


def matched_spans(source: str, terms: set[str] | frozenset[str]) -> list[tuple[int, int]]:
    """``(start, end)`` offsets in ``source`` of the tokens whose folded form is in ``terms``.

    The same as filtering :func:`kiemchung.text.token_spans` of the whole text, but only the
    chunks (runs of non-space characters) where a term occurs in the folded text are tokenized:
    :func:`kiemchung.text.fold` keeps one character per character unless the text has combining
    marks, so offsets in the folded text are offsets in ``source``; otherwise (decomposed text)
    every chunk is tokenized. A place where a term occurs is skipped at once when it cannot be a
    whole token: a token never starts right after a letter, and a word token never ends before a
    letter or digit (the exact decision stays with ``token_spans``).
    """
    kinds = _term_kinds(frozenset(terms))
    if not kinds or not source:
        return []
    folded = text.fold(source)
    if len(folded) != len(source):  # combining marks were dropped: offsets do not line up
        return [(s, e) for s, e, tok in text.token_spans(source) if tok in terms]
    places: list[tuple[int, int, bool]] = []
    for term, word in kinds:
        i = folded.find(term)
        while i >= 0:
            places.append((i, i + len(term), word))
            i = folded.find(term, i + 1)
    places.sort()
    n = len(folded)
    out: list[tuple[int, int]] = []
    done = -1  # end of the last chunk tokenized
    for s, e, word in places:
        if s < done:
            continue
        if s > 0 and folded[s - 1].isalnum() and not folded[s - 1].isdecimal():
            continue  # right after a letter: inside a token
        if word and e < n and folded[e].isalnum():
            continue  # a word token goes on
        # Folding changes letters only, so chunks are the same in both texts.
        start = s
        while start > 0 and not folded[start - 1].isspace():
            start -= 1
        end = _NONSPACE.match(folded, e).end()
        out.extend(
            (start + a, start + b) for a, b, tok in text.token_spans(source[start:end]) if tok in terms
        )
        done = end
    return out


def snippet(source: str, terms: set[str], *, width: int = 200) -> list[tuple[str, bool]]:
    """The part of ``source`` with the most query terms, as (text, highlighted) segments."""
    if not source:
        return []
    spans = matched_spans(source, terms)
    if not spans:
        cut = source[:width]
        return [(cut + ("…" if len(source) > width else ""), False)]
    # The window [s, s + width) starting at a match holding the most matches (the first such window):
    # spans are in text order, so the end of the window only moves forward (linear, not quadratic).
    best_start, best_hits = spans[0][0], 0
    j = 0
    for i, (s, _) in enumerate(spans):
        j = max(j, i)
        while j < len(spans) and spans[j][0] < s + width:
            j += 1
        if j - i > best_hits:
            best_start, best_hits = s, j - i
    start = max(0, best_start - width // 4)
    if start > 0:
        space = source.rfind(" ", 0, start)
        start = space + 1 if space >= 0 else start
    end = min(len(source), start + width)
    if end < len(source):
        space = source.rfind(" ", start, end)
        end = space if space > start else end
    segments: list[tuple[str, bool]] = []
    pos = start
    if start > 0:
        segments.append(("…", False))
    for s, e in spans:
        if s < start or e > end:
            continue
        if s > pos:
            segments.append((source[pos:s], False))
        segments.append((source[s:e], True))
        pos = e
    if pos < end:
        segments.append((source[pos:end], False))
    if end < len(source):
        segments.append(("…", False))
    return segments


def search(
    db: Database,
    query: str,
    *,
    limit: int = 20,
    offset: int = 0,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    sources: list[int] | None = None,
    kinds: list[str] | None = None,
    sort: str = "newest",
    count: bool = False,
    use_cache: bool = True,
) -> SearchResult:
    """Search stored documents; see the module docstring for the query language.

    ``sort`` is ``newest`` (the default: a monitoring desk reads what is new first), ``oldest``, or
    ``relevance`` (BM25, titles weighted 4x, among the newest :data:`RELEVANCE_WINDOW` matches).
    ``cache=False`` bypasses the result cache (see the module docstring).
    """
    if sort not in ("relevance", "newest", "oldest"):
        raise QueryError(f"Cách sắp xếp không hợp lệ (unknown sort): {sort}")
    limit = max(1, min(int(limit), 500))
    key = (
        query,
        limit,
        int(offset),
        since.isoformat() if since else None,
        until.isoformat() if until else None,
        tuple(sources or ()),
        tuple(kinds or ()),
        sort,
        bool(count),
    )
    cache = _cache_for(db) if use_cache else None
    if cache is not None:
        hit, version = cache.lookup(key)
        if hit is not None:
            return hit
    result = _search(db, query, limit, offset, since, until, sources, kinds, sort, count)
    if cache is not None:
        cache.put(key, version, result)
    return result


def _search(db, query, limit, offset, since, until, sources, kinds, sort, count) -> SearchResult:
    compiled = compile_tree(query)
    if compiled is None:
        return SearchResult(query, [], _guess_accented(query), None, 0 if count else None)
    result = _run(db, compiled, limit, offset, since, until, sources, kinds, sort, count)
    if compiled.accented and not result[0] and offset == 0:
        compiled = compile_tree(query, accented=False)
        result = _run(db, compiled, limit, offset, since, until, sources, kinds, sort, count)
    hits, total = result
    return SearchResult(query, hits, compiled.accented, db.backend.fts_expression(compiled), total)


def _guess_accented(query: str) -> bool:
    return parse_query(query) is not None and text.fold(query) != query.lower()


# A hit needs every column but the compressed raw payload and the MinHash signature (large blobs).
_HIT_COLUMNS = [c for c in t.documents.c if c.name not in ("raw", "minhash")]


def _no_documents_in(db, sources: list[int]) -> bool:
    """True when none of ``sources`` has a document (an index lookup)."""
    d = t.documents
    with db.read() as conn:
        found = conn.execute(
            select(d.c.id).where(d.c.source_id.in_([int(x) for x in sources])).limit(1)
        ).first()
    return found is None


def _run(db, compiled: FtsQuery, limit, offset, since, until, sources, kinds, sort, count):
    # Full-text row ids are time-ordered (see schema.fts_rowid): date ranges become row id ranges
    # and newest-first is row-id order, so the backend finds the page of row ids without reading
    # the documents table, and only that page's documents are read.
    if sources and _no_documents_in(db, sources):
        # A source filter that selects nothing would otherwise check every match of the query.
        return [], (0 if count else None)
    where = FtsFilter(
        lo=t.fts_rowid_bound(timeutil.aware(since)) if since is not None else None,
        hi=t.fts_rowid_bound(timeutil.aware(until)) if until is not None else None,
        sources=tuple(int(x) for x in sources or ()),
        kinds=tuple(kinds or ()),
    )
    ranked = sort == "relevance"
    d = t.documents
    with db.read() as conn:
        page = db.backend.fts_page(
            conn, compiled, where, sort=sort, limit=limit, offset=offset,
            window=RELEVANCE_WINDOW if ranked else None,
        )
        rows = {}
        if page:
            rows = {
                r.fts_rowid: r
                for r in conn.execute(
                    select(*_HIT_COLUMNS, t.sources.c.name.label("source_name"))
                    .select_from(d.outerjoin(t.sources, t.sources.c.id == d.c.source_id))
                    .where(d.c.fts_rowid.in_([rid for rid, _ in page]))
                )
            }
        total = db.backend.fts_count(conn, compiled, where) if count else None
    hits = []
    for rid, score in page:
        row = rows.get(rid)
        if row is None:  # a full-text row whose document is gone
            continue
        doc = document_from_row(row, source_name=row.source_name)
        body = " ".join(p for p in (doc.lead, doc.body) if p)
        hits.append(Hit(doc, score if ranked else None, snippet(body or doc.title, set(compiled.terms))))
    return hits, total


# ---------------------------------------------------------------------------------------------
# Streaming every match (exports)

EXPORT_BATCH = 500


def iter_hits(
    db: Database,
    query: str,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    sources: list[int] | None = None,
    kinds: list[str] | None = None,
    doc_ids: set[int] | None = None,
    batch: int = EXPORT_BATCH,
) -> Iterator[Hit]:
    """Every match of ``query``, newest first, read in batches of ``batch``: what an export streams.

    A blank query matches every document (the filters still apply). Unlike :func:`search` there is
    no cap and no offset: each batch continues below the last full-text row id read (keyset paging
    on the time-ordered ``fts_rowid``), one short read transaction per batch, so memory stays the
    same whatever the number of matches and writers are never held up. ``sources=[]`` (an empty
    collection) matches nothing; ``doc_ids`` keeps only those documents (story/province scopes).
    An accented query that matches nothing is run without diacritics, as :func:`search` does."""
    if sources is not None and len(sources) == 0:
        return
    compiled = compile_tree(query) if query.strip() else None
    if query.strip() and compiled is None:
        return
    batch = max(1, int(batch))
    lo = t.fts_rowid_bound(timeutil.aware(since)) if since is not None else None
    hi = t.fts_rowid_bound(timeutil.aware(until)) if until is not None else None
    source_ids = tuple(int(x) for x in sources or ())
    kind_names = tuple(kinds or ())
    d = t.documents
    first = True
    while True:
        with db.read() as conn:
            if compiled is not None:
                where = FtsFilter(lo=lo, hi=hi, sources=source_ids, kinds=kind_names)
                page = [rid for rid, _ in db.backend.fts_page(conn, compiled, where, sort="newest", limit=batch, offset=0)]
                if first and not page and compiled.accented:
                    compiled = compile_tree(query, accented=False)
                    continue
            else:
                cond = [d.c.fts_rowid.is_not(None)]
                if lo is not None:
                    cond.append(d.c.fts_rowid >= lo)
                if hi is not None:
                    cond.append(d.c.fts_rowid < hi)
                if source_ids:
                    cond.append(d.c.source_id.in_(source_ids))
                if kind_names:
                    cond.append(d.c.kind.in_(kind_names))
                page = list(
                    conn.execute(select(d.c.fts_rowid).where(*cond).order_by(d.c.fts_rowid.desc()).limit(batch)).scalars()
                )
            first = False
            if not page:
                return
            rows = {
                r.fts_rowid: r
                for r in conn.execute(
                    select(*_HIT_COLUMNS, t.sources.c.name.label("source_name"))
                    .select_from(d.outerjoin(t.sources, t.sources.c.id == d.c.source_id))
                    .where(d.c.fts_rowid.in_(page))
                )
            }
        terms = set(compiled.terms) if compiled is not None else set()
        for rid in page:
            row = rows.pop(rid, None)
            if row is None or (doc_ids is not None and row.id not in doc_ids):
                continue
            doc = document_from_row(row, source_name=row.source_name)
            body = " ".join(p for p in (doc.lead, doc.body) if p)
            yield Hit(doc, None, snippet(body or doc.title, terms))
        if len(page) < batch:
            return
        hi = page[-1]


# ---------------------------------------------------------------------------------------------
# Result cache


class _ResultCache:
    """Recent search results of one database, dropped whenever its change token changes.

    ``clock`` (monotonic seconds) dates the entries; tests age them with a fake one.
    """

    clock = staticmethod(time.monotonic)

    def __init__(self, db: Database) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, tuple[float, int, SearchResult]] = OrderedDict()
        self._db = weakref.ref(db)

    def version(self) -> int | None:
        """The database's current change token (see :meth:`Database.change_token`)."""
        db = self._db()
        return db.change_token() if db is not None else None

    def lookup(self, key: tuple) -> tuple[SearchResult | None, int | None]:
        """(cached result or None, current generation): one freshness check for a get and a put."""
        current = self.version()
        if current is None:
            return None, None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None, current
            stamp, version, result = entry
            if version != current or self.clock() - stamp > CACHE_TTL:
                del self._entries[key]
                return None, current
            self._entries.move_to_end(key)
        return replace(result, hits=list(result.hits)), current

    def get(self, key: tuple) -> SearchResult | None:
        """The cached result for ``key`` if it is younger than the TTL and the database has not changed."""
        return self.lookup(key)[0]

    def put(self, key: tuple, version: int | None, result: SearchResult) -> None:
        """Remember ``result``, computed while the database was at ``version``."""
        if version is None:
            return
        with self._lock:
            self._entries[key] = (self.clock(), version, replace(result, hits=list(result.hits)))
            self._entries.move_to_end(key)
            while len(self._entries) > CACHE_SIZE:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every result."""
        with self._lock:
            self._entries.clear()


_caches: weakref.WeakKeyDictionary[Database, _ResultCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache_for(db: Database) -> _ResultCache | None:
    """The result cache of ``db``, or None when caching is off or the database cannot report changes."""
    if CACHE_TTL <= 0:
        return None
    cache = _caches.get(db)
    if cache is None:
        with _caches_lock:
            cache = _caches.get(db)
            if cache is None:
                cache = _caches[db] = _ResultCache(db)
    return cache


def clear_search_cache(db: Database | None = None) -> None:
    """Forget cached search results (of ``db``, or of every database)."""
    with _caches_lock:
        targets = [_caches.get(db)] if db is not None else list(_caches.values())
    for cache in targets:
        if cache is not None:
            cache.clear()
