"""A capture as a WARC file (ISO 28500, written with warcio): what the server answered, when.

One gzip-compressed WARC holds a ``warcinfo`` record (the software and the capture's id), the
``request`` record kiemchung sent, the ``response`` record (status line, headers and the payload as
stored) and a ``metadata`` record with the address first asked for and the SHA-256 of the payload.
While ``hash_authors`` is on the payload is the redacted copy: the response record's
``WARC-Kiemchung-Redacted`` and ``WARC-Kiemchung-Original-SHA256`` headers and the metadata record
(``redacted``, ``original_payload_sha256``) say so.
Open it with any WARC tool (``warcio index``, pywb, ReplayWeb.page).

The payload is stored decoded (the fetcher undoes gzip/deflate while counting the bytes against its
limits), so ``Content-Encoding`` and ``Transfer-Encoding`` are dropped from the recorded headers and
``Content-Length`` is the stored payload's.
"""

from __future__ import annotations

import datetime as dt
import io
import json

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import kiemchung

_DROPPED = frozenset({"content-encoding", "transfer-encoding", "content-length", "set-cookie"})
_REASONS = {200: "OK", 203: "Non-Authoritative Information", 206: "Partial Content"}


def _warc_date(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_warc(*, url: str, requested_url: str, status: int, headers: dict[str, str], payload: bytes,
               fetched_at: dt.datetime, request_headers: dict[str, str], content_sha256: str,
               capture_id: int | None = None, original_sha256: str | None = None,
               redactions: int | None = None) -> bytes:
    """The WARC file (gzip members, one per record) of one fetched page.

    ``original_sha256`` (given when the payload is a redacted copy, see
    :mod:`kiemchung.captures.redact`): the response record carries ``WARC-Kiemchung-Redacted`` and
    ``WARC-Kiemchung-Original-SHA256`` headers, and the metadata record says the same."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    date = _warc_date(fetched_at)
    info = writer.create_warcinfo_record(
        "kiemchung-capture.warc.gz",
        {"software": f"kiemchung/{getattr(kiemchung, '__version__', '0')} (warcio)", "format": "WARC File Format 1.1",
         "description": f"capture {capture_id}" if capture_id is not None else "capture"},
    )
    info.rec_headers.replace_header("WARC-Date", date)
    writer.write_record(info)

    target = httpx_target(url)
    req = StatusAndHeaders(f"GET {target} HTTP/1.1", list(request_headers.items()), is_http_request=True)
    request = writer.create_warc_record(url, "request", http_headers=req,
                                        warc_headers_dict={"WARC-Date": date})
    writer.write_record(request)

    kept = [(k, v) for k, v in headers.items() if k.lower() not in _DROPPED]
    kept.append(("Content-Length", str(len(payload))))
    http = StatusAndHeaders(f"{status} {_REASONS.get(status, 'OK')}", kept, protocol="HTTP/1.1")
    warc_headers = {"WARC-Date": date, "WARC-Concurrent-To": request.rec_headers.get_header("WARC-Record-ID")}
    if original_sha256:
        warc_headers["WARC-Kiemchung-Redacted"] = "authors (hash_authors): identifiers replaced by salted hashes"
        warc_headers["WARC-Kiemchung-Original-SHA256"] = original_sha256
    response = writer.create_warc_record(
        url, "response", payload=io.BytesIO(payload), length=len(payload), http_headers=http,
        warc_headers_dict=warc_headers,
    )
    writer.write_record(response)

    about = {"requested_url": requested_url, "final_url": url, "payload_sha256": content_sha256,
             "capture_id": capture_id}
    if original_sha256:
        about.update(redacted=True, redaction="hash_authors", redactions=redactions,
                     original_payload_sha256=original_sha256,
                     note="the payload is the page with its authors' identifiers replaced by salted hashes; "
                          "the bytes as fetched were hashed (original_payload_sha256) and not kept")
    meta = json.dumps(about, ensure_ascii=False).encode()
    record = writer.create_warc_record(
        url, "metadata", payload=io.BytesIO(meta), length=len(meta), warc_content_type="application/json",
        warc_headers_dict={"WARC-Date": date,
                           "WARC-Refers-To": response.rec_headers.get_header("WARC-Record-ID")},
    )
    writer.write_record(record)
    return out.getvalue()


def httpx_target(url: str) -> str:
    """The request target of ``url`` (path and query) as the request line carries it."""
    import httpx

    parsed = httpx.URL(url)
    return parsed.raw_path.decode("ascii", "replace") or "/"


def read_response(warc: bytes) -> tuple[str, int, bytes, str | None]:
    """``(target URI, HTTP status, payload, WARC-Date)`` of the response record of a WARC file."""
    from warcio.archiveiterator import ArchiveIterator

    for record in ArchiveIterator(io.BytesIO(warc)):
        if record.rec_type == "response":
            return (record.rec_headers.get_header("WARC-Target-URI"), int(record.http_headers.get_statuscode()),
                    record.content_stream().read(), record.rec_headers.get_header("WARC-Date"))
    raise ValueError("no response record")
