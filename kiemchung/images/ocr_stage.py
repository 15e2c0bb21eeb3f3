"""OCR as a background stage: the text of a document's images joins the document.

Images are tied to documents (tips, posts, articles with enclosures) by the image store
(:mod:`kiemchung.images.store`, table ``image_links``). The stage walks those links in id order
(stage progress ``ocr``: the last link done, :mod:`kiemchung.store.progress`), so an image attached
after its document was stored is read too, and each link once. An image is recognised once, however
many documents carry it (42 people sending the same screenshot cost one OCR): its result is kept in
``images.meta["ocr"]`` (text, mean confidence, lines with their confidence).

The recognised text is appended to the document's body after a blank line, the full-text row is
rebuilt, and the document is matched again against the published false claims (the alert stage's
engine), so search, claims, matching and alerts see it. ``documents.meta["ocr"]`` holds each image's
text by the image's SHA-256 (``{sha256: {"image_id", "text", "confidence"}}``: what the tips page shows
under each image) and ``meta["ocr_from"]`` where in the body the image text starts.
When the image text is substantial and the document's own text short (a tip that is only a screenshot,
a post that is a picture with a caption: fewer than :data:`SHORT_WORDS` words of its own, at least
:data:`RESTORY_WORDS` recognised), story assignment is run again for it
(:meth:`kiemchung.stories.service.StoryStage.reassign`: a document placed by hand stays), and the tips
carried by the changed documents are matched again (their queue shows the fact-check the screenshot is
about).

Like the named-entity stage it runs in ``kiemchung watch``'s background process and in the workers'
``enrich`` queue (:func:`kiemchung.pipeline.run_slow_round`), resumably; ``kiemchung ocr run`` runs it
by hand (``kiemchung ocr --run``). Without Tesseract it does nothing and says why (:func:`kiemchung.images.ocr.available`).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from sqlalchemy import select, update

from kiemchung import timeutil
from kiemchung.store import progress
from kiemchung.store import schema as t

log = logging.getLogger(__name__)

__all__ = ["OcrStage", "OcrStageReport", "image_ocr"]

MAX_TEXT = 20_000  # characters of image text one document takes (a long scanned letter is ~3,000)
SHORT_WORDS = 30  # a document with fewer words of its own is placed again by its image text ...
RESTORY_WORDS = 8  # ... when the image text has at least this many


@dataclass
class OcrStageReport:
    """What one run did: links walked, images recognised (new OCR), documents whose text grew, alerts
    raised by the new text, and the reason when OCR could not run at all."""

    links: int = 0
    recognised: int = 0
    documents: int = 0
    alerts: int = 0
    restoried: int = 0  # documents that moved to another story by their image text
    tips: int = 0  # tips matched again
    unavailable: str | None = None


def _tables():
    from kiemchung.images.tables import image_links, images

    return images, image_links


def image_ocr(db, image_id: int, *, store=None) -> dict:
    """The OCR result of one stored image: ``{"text", "confidence", "lines": [[text, confidence]], "at"}``
    (or ``{"error": message}`` for an image Tesseract could not read), recognised once and kept in
    ``images.meta["ocr"]``. Raises :class:`~kiemchung.images.ocr.OcrUnavailable` without Tesseract."""
    from kiemchung.images.ocr import OcrError, OcrUnavailable, recognize
    from kiemchung.images.store import ImageStore

    images, _ = _tables()
    with db.read() as conn:
        row = conn.execute(select(images.c.meta).where(images.c.id == image_id)).first()
    meta = dict((row.meta if row is not None else None) or {})
    if isinstance(meta.get("ocr"), dict):
        return meta["ocr"]
    store = store or ImageStore(db)
    try:
        result = recognize(store.data(store.get(image_id)))
        found = {"text": result.text[:MAX_TEXT], "confidence": round(result.confidence, 1),
                 "lines": [[ln.text, round(ln.confidence, 1)] for ln in result.lines][:500],
                 "steps": result.steps, "at": timeutil.now().isoformat()}
    except OcrUnavailable:
        raise
    except OcrError as exc:
        found = {"error": str(exc), "at": timeutil.now().isoformat()}
    meta["ocr"] = found
    with db.write() as conn:
        conn.execute(update(images).where(images.c.id == image_id).values(meta=meta))
    return found


class OcrStage:
    """Background stage: recognise the images tied to documents and join their text to the documents."""

    def __init__(self, db) -> None:
        self.db = db

    def last_link_id(self) -> int:
        """The id of the last image link handled (0 when none)."""
        return progress.last_doc_id(self.db, progress.OCR)

    def run(self, limit: int | None = 20, batch: int = 10) -> OcrStageReport:
        """Handle up to ``limit`` new image links (all when None), ``batch`` per transaction."""
        from kiemchung.images.ocr import OcrUnavailable, available
        from kiemchung.images.store import ImageStore

        report = OcrStageReport()
        images, image_links = _tables()
        last = self.last_link_id()
        with self.db.read() as conn:
            pending = conn.execute(select(image_links.c.id).where(image_links.c.target == "document")
                                   .where(image_links.c.id > last).limit(1)).first()
        if pending is None:
            return report
        reason = available()
        if reason:
            report.unavailable = reason
            log.warning("OCR stage: %s", reason)
            return report
        store = ImageStore(self.db)
        while limit is None or report.links < limit:
            size = batch if limit is None else min(batch, limit - report.links)
            with self.db.read() as conn:
                rows = conn.execute(
                    select(image_links.c.id, image_links.c.image_id, image_links.c.target_id, images.c.sha256)
                    .join(images, images.c.id == image_links.c.image_id)
                    .where(image_links.c.target == "document").where(image_links.c.id > last)
                    .order_by(image_links.c.id).limit(size)).all()
            if not rows:
                break
            texts: dict[int, list[tuple[str, dict]]] = {}
            for r in rows:
                try:
                    before = self._known(r.image_id)
                    found = image_ocr(self.db, r.image_id, store=store)
                except OcrUnavailable as exc:  # uninstalled mid-run: stop here, resume later
                    report.unavailable = str(exc)
                    return report
                report.recognised += 0 if before else 1
                if found.get("text"):
                    texts.setdefault(int(r.target_id), []).append((r.sha256, {
                        "image_id": r.image_id, "text": found["text"], "confidence": found.get("confidence")}))
            changed = self._join(texts)
            last = rows[-1].id
            progress.advance(self.db, progress.OCR, last, processed=len(rows))
            report.links += len(rows)
            report.documents += len(changed)
            if changed:
                report.restoried += self._restory(changed)
                report.alerts += self._match(changed)
                report.tips += self._match_tips(changed)
        return report

    def _restory(self, doc_ids: list[int]) -> int:
        """Place again the documents whose own text is short and whose image text is not; how many moved."""
        from kiemchung import text as ktext

        d = t.documents
        short = []
        with self.db.read() as conn:
            for r in conn.execute(select(d.c.id, d.c.title, d.c.lead, d.c.body, d.c.meta).where(d.c.id.in_(doc_ids))):
                start = int((r.meta or {}).get("ocr_from") or 0)
                body = r.body or ""
                own = " ".join(p for p in (r.title, r.lead, body[:start]) if p)
                if (len(ktext.syllables(own)) < SHORT_WORDS
                        and len(ktext.syllables(body[start:])) >= RESTORY_WORDS):
                    short.append(r.id)
        if not short:
            return 0
        from kiemchung.stories.service import StoryStage

        return len(StoryStage(self.db).reassign(short))

    def _match_tips(self, doc_ids: list[int]) -> int:
        """Match again the tips whose documents got image text (a screenshot-only tip had nothing to match)."""
        from kiemchung.tips.service import match_tips
        from kiemchung.tips.tables import tips

        with self.db.read() as conn:
            ids = list(conn.execute(select(tips.c.id).where(tips.c.doc_id.in_(doc_ids))).scalars())
        return match_tips(self.db, tip_ids=ids) if ids else 0

    def _known(self, image_id: int) -> bool:
        images, _ = _tables()
        with self.db.read() as conn:
            meta = conn.execute(select(images.c.meta).where(images.c.id == image_id)).scalar()
        return isinstance((meta or {}).get("ocr"), dict)

    def _join(self, texts: dict[int, list[tuple[str, dict]]]) -> list[int]:
        """Append each document's new image text to its body and rebuild its full-text row.

        ``documents.meta["ocr"]`` maps each image's SHA-256 (its name in the image store) to
        ``{"image_id", "text", "confidence"}``; ``meta["ocr_from"]`` is where the image text starts in
        the body."""
        from kiemchung import text as ktext
        from kiemchung.ingest import index_fields

        d = t.documents
        changed = []
        with self.db.write() as conn:
            for doc_id, parts in texts.items():
                row = conn.execute(select(d.c.id, d.c.kind, d.c.title, d.c.lead, d.c.body, d.c.meta, d.c.fts_rowid)
                                   .where(d.c.id == doc_id)).first()
                if row is None:
                    continue
                meta = dict(row.meta or {})
                known = dict(meta.get("ocr") or {}) if isinstance(meta.get("ocr"), dict) else {}
                body = row.body or ""
                new = [(sha, item) for sha, item in parts if sha not in known]
                if not new:
                    continue
                add = []
                for sha, item in new:
                    txt = ktext.normalize(item["text"], keep_newlines=True)
                    known[sha] = {**item, "text": txt}
                    if txt and txt not in body and txt not in add:
                        add.append(txt)
                if add and "ocr_from" not in meta:
                    meta["ocr_from"] = len(body) + (2 if body else 0)
                if add:
                    body = "\n\n".join(x for x in (body, *add) if x)[: len(body) + MAX_TEXT]
                meta["ocr"] = known
                conn.execute(update(d).where(d.c.id == doc_id).values(body=body, meta=meta))
                if add and row.fts_rowid is not None:
                    ti, bi, tf, bf = index_fields(row.kind, row.title or "", row.lead or "", body)
                    self.db.backend.fts_delete(conn, [row.fts_rowid])
                    self.db.backend.fts_insert(conn, [{"rowid": row.fts_rowid, "title_acc": ti, "body_acc": bi,
                                                       "title_fold": tf, "body_fold": bf}])
                if add:
                    changed.append(doc_id)
        if changed:
            from kiemchung.store.search import clear_search_cache

            clear_search_cache(self.db)
        return changed

    def _match(self, doc_ids: list[int]) -> int:
        """Match the documents' new text against the published false claims; the alerts raised."""
        from kiemchung.claims.alerts import AlertEngine
        from kiemchung.store.database import document_from_row

        d = t.documents
        with self.db.read() as conn:
            docs = [document_from_row(r) for r in conn.execute(select(d).where(d.c.id.in_(doc_ids)))]
        # The matcher reads the title, lead and the start of the body: give it the image text as the body,
        # so a long article's image is matched too (the alert is recorded on the document all the same).
        for i, doc in enumerate(docs):
            start = int((doc.meta or {}).get("ocr_from") or 0)
            docs[i] = dataclasses.replace(doc, body=(doc.body or "")[start:])
        return len(AlertEngine(self.db).process(docs))
