"""Files and documents: attachments of a record (upload, list, download) and a record's PDF.

Attachments are ``ir.attachment`` rows pointing at a record (``res_model``, ``res_id``); an
ordinary user may create one on a record they may write, with the content as base64 ``datas``.
What shapes this module:

* **No orphan files.** Odoo itself refuses an attachment on a missing record only with a vague
  "not allowed to access this document" (403). The record is read first, so a missing one is a
  not-found error naming model and id, and nothing is created.
* **Sizes before bytes.** A file over ``maxBytes`` is refused from its base64 length before
  anything is decoded or sent (upload), or from Odoo's ``file_size`` before the content is
  fetched (download, a stored invoice PDF), or from the portal's Content-Length and then while
  streaming (a rendered PDF): a 2 GB file never reaches this process by accident.
* **Checksums.** Odoo stores the SHA-1 of the bytes in ``checksum``. An upload compares it with
  the SHA-1 of what was sent, a download with the SHA-1 of what came back: a file cut or altered
  on the way is an error, never a result.
* **A record's PDF comes through the customer portal.** Report routes (``/report/pdf/…``) answer
  a bearer key with a redirect to the login page, and the render methods are private. Models
  with a customer portal (``portal.mixin``: quotations and orders, invoices, …) hand out a link
  with an ``access_token`` (``get_portal_url``), and a plain GET of that link answers the PDF.
  That token opens the document to anyone who holds it, so it is registered as a secret the
  moment it arrives (every output channel redacts it) and is never put in a message. An
  invoice's PDF, once Odoo has generated it, is an attachment (``invoice_pdf_report_id``): that
  stored, legal copy is returned instead of a fresh rendering.

Nothing here calls a method that returns nothing (XML-RPC's "cannot marshal None" fault):
``create``, ``read``, ``search_read`` and ``get_portal_url`` all return a value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

from ..client import OdooClient
from ..client.http import deadline, timeouts
from ..errors import (
    AccessDeniedError,
    InputError,
    NotFoundError,
    OdooConnectorError,
    OdooRequestError,
    OdooValidationError,
    ServerError,
    TransportError,
    redact,
    register_secret,
)
from .batch_rows import no_answer, unanswered, unanswered_write
from .raw import check_same_origin_path

__all__ = [
    "DEFAULT_MAX_BYTES",
    "download_attachment",
    "get_record_pdf",
    "list_attachments",
    "upload_attachment",
]

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
_META_FIELDS = ["name", "mimetype", "file_size", "checksum", "create_date", "type", "url"]
# base64 is decoded (to check it and hash it) this many characters at a time, so a 20 MB file
# never exists twice over in memory as bytes
_CHUNK = 4 * 256 * 1024
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_WHITESPACE = re.compile(r"\s")
# Odoo's account.move keeps its generated, legal PDF here once it has been sent or printed
_STORED_PDF = {"account.move": "invoice_pdf_report_id"}
_DOCUMENT_TYPES = ("application/pdf", "application/zip")
# what is read of a portal answer that is no document, to say why (an error page's title)
_PAGE_BYTES = 64 * 1024


def _missing(model: str, record_id: int) -> NotFoundError:
    return NotFoundError(
        f"No {model} record with id {record_id} (it does not exist or was deleted).",
        hint="Check the record id, e.g. with listRecords or the selectRecordById picklist.",
    )


def _require_record(client: OdooClient, model: str, record_id: int) -> None:
    # `read` of a missing id answers [] with status 200 on both transports, not an error
    if not client.call(model, "read", [record_id], fields=["display_name"]):
        raise _missing(model, record_id)


def _human(size: int) -> str:
    return f"{size} bytes ({size / 1048576:.1f} MiB)" if size >= 1048576 else f"{size} bytes"


def _too_large(what: str, size: int | None, limit: int, path: str = "maxBytes") -> InputError:
    """``size`` None: the file kept coming past the limit, and the rest was not read."""
    if path != "maxBytes":  # an input without its own limit (postMessage's attachments)
        return InputError(
            f"{what} is {_human(size or limit + 1)}, over the limit of {_human(limit)}.",
            path=path,
            hint="Attach a larger file with uploadAttachment, which takes maxBytes.",
        )
    said = (
        f"is {_human(size)}, over the limit of {_human(limit)} (maxBytes)."
        if size is not None
        else f"is over the limit of {_human(limit)} (maxBytes): more than that arrived, and the "
        "rest was not read."
    )
    return InputError(
        f"{what} {said}",
        path="maxBytes",
        hint="Raise maxBytes if this process may hold a file that large: it is held in memory, "
        "as base64 and in working copies (bench/attachments.py measured peaks of 4 to 5.4 times "
        "the file size).",
    )


def checked_base64(
    content: str, max_bytes: int, file_name: str, *, path: str = "content"
) -> tuple[str, int, str]:
    """``content`` without line breaks, its decoded size and SHA-1, or InputError naming ``path``.
    Every action that takes a file as base64 checks it here (uploadAttachment, postMessage).

    The size is known from the length alone (every 4 characters are 3 bytes), so a file over the
    limit is refused before a byte is decoded; the rest is decoded in chunks to check it and hash
    it without holding the whole file as bytes."""
    text = "".join(content.split()) if _WHITESPACE.search(content) else content
    padding = 2 if text.endswith("==") else 1 if text.endswith("=") else 0  # rstrip would copy it
    size = len(text) // 4 * 3 - padding
    if size > max_bytes:
        raise _too_large(
            f"The file {file_name!r}", size, max_bytes, "maxBytes" if path == "content" else path
        )
    if len(text) % 4 or not _BASE64.fullmatch(text):
        raise InputError(
            f"The input {path!r} of {file_name!r} is not valid base64 (standard alphabet A-Z a-z "
            "0-9 + /, padded with = to a multiple of 4 characters).",
            path=path,
            hint="Send the file's bytes base64-encoded, e.g. `base64 -w0 file.pdf`.",
        )
    digest = hashlib.sha1(usedforsecurity=False)
    try:
        for start in range(0, len(text), _CHUNK):
            digest.update(base64.b64decode(text[start : start + _CHUNK], validate=True))
    except binascii.Error:  # what the expression above lets by and the decoder still refuses
        raise InputError(f"The input {path!r} of {file_name!r} is not valid base64.", path=path) from None
    return text, size, digest.hexdigest()


def _short(sha1: str | None) -> str:
    """A SHA-1 as a message shows it: 12 hex digits. Messages pass through redaction, which
    takes any 40-hex-digit word for an API key."""
    return f"{sha1[:12]}…" if sha1 else "(none)"


def _meta(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "mimetype": row.get("mimetype") or None,
        "size": row.get("file_size") or 0,
        "checksum": row.get("checksum") or None,
    }


def upload_attachment(client: OdooClient, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Attaches a file to a record; the result's checksum is Odoo's, compared with the SHA-1 of
    the bytes sent. Odoo may store another mimetype than the one given: for a non-administrator
    it stores HTML, SVG and JavaScript as ``text/plain`` (so a browser never runs them)."""
    model, record_id, file_name = inputs["model"], inputs["recordId"], inputs["fileName"]
    max_bytes = inputs.get("maxBytes", DEFAULT_MAX_BYTES)
    datas, _, sha1 = checked_base64(inputs["content"], max_bytes, file_name)
    _require_record(client, model, record_id)
    values: dict[str, Any] = {"name": file_name, "datas": datas, "res_model": model, "res_id": record_id}
    if inputs.get("mimetype"):
        values["mimetype"] = inputs["mimetype"]
    del datas
    try:
        result = client.call("ir.attachment", "create", vals_list=[values])
    except (ServerError, TransportError) as exc:
        if unanswered(exc):  # never sent again (a second copy of the file): say it may be there
            lost = no_answer(
                f"The attachment {file_name!r} on {model} record {record_id}",
                "the record's attachments (listAttachments)",
                done="created",
            )
            raise unanswered_write(exc, f"{exc.message} {lost}") from None
        raise
    except AccessDeniedError as exc:
        # Odoo's words ("not allowed to access this document") do not say which document
        raise AccessDeniedError(
            f"This user may not attach files to {model} record {record_id}: Odoo allows it only on "
            f"records the user may change. Odoo said: {exc.message}",
            groups=exc.groups,
            odoo_name=exc.odoo_name,
            status=exc.status,
            detail=exc.detail,
        ) from None
    finally:
        values.clear()
    attachment_id = int(result[0] if isinstance(result, list) else result)
    rows = client.call("ir.attachment", "read", [attachment_id], fields=_META_FIELDS)
    if not rows:
        raise ServerError(f"Odoo created attachment {attachment_id} but cannot read it back.")
    stored = _meta(rows[0])
    if stored["checksum"] and stored["checksum"] != sha1:
        raise ServerError(
            f"Odoo stored attachment {attachment_id} ({file_name!r}) with SHA-1 "
            f"{_short(stored['checksum'])}, but the file sent has SHA-1 {_short(sha1)}: the content "
            "was altered on the way.",
            hint="Delete the attachment and upload the file again.",
        )
    return stored


def list_attachments(client: OdooClient, inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The record's attachments, oldest first, without their content. Files that belong to a
    binary field (a contact's photo, an invoice's generated PDF) are fields, not attachments:
    Odoo leaves them out of this search."""
    model, record_id = inputs["model"], inputs["recordId"]
    rows = client.call(
        "ir.attachment",
        "search_read",
        domain=[["res_model", "=", model], ["res_id", "=", record_id]],
        fields=_META_FIELDS,
        order="id asc",
    )
    if not rows:
        # an empty list must mean "no files", not "no such record": one more call, only here
        _require_record(client, model, record_id)
    return [{**_meta(row), "createDate": row.get("create_date") or None} for row in rows]


def _read_meta(client: OdooClient, attachment_id: int) -> dict[str, Any]:
    rows = client.call("ir.attachment", "read", [attachment_id], fields=_META_FIELDS)
    if not rows:
        raise NotFoundError(
            f"No ir.attachment record with id {attachment_id} (it does not exist, was deleted, or "
            "belongs to a record this user cannot read).",
            hint="List a record's attachments with listAttachments.",
        )
    row: dict[str, Any] = rows[0]
    if row.get("type") == "url":
        raise OdooValidationError(
            f"Attachment {attachment_id} ({row['name']!r}) is a link, not a file: it has no content "
            "to download.",
            hint="Its address is in Odoo, on the attachment; this connector does not follow it.",
        )
    return row


def _fetch_content(client: OdooClient, row: Mapping[str, Any]) -> tuple[str, int]:
    """The attachment's base64 content, checked against its size and Odoo's SHA-1."""
    attachment_id = row["id"]
    rows = client.call("ir.attachment", "read", [attachment_id], fields=["datas"])
    if not rows:
        raise NotFoundError(f"Attachment {attachment_id} was deleted while it was being downloaded.")
    content = rows[0].get("datas") or ""
    digest = hashlib.sha1(usedforsecurity=False)
    size = 0
    try:
        for start in range(0, len(content), _CHUNK):
            chunk = base64.b64decode(content[start : start + _CHUNK], validate=True)
            digest.update(chunk)
            size += len(chunk)
    except (binascii.Error, ValueError):
        raise ServerError(f"Odoo sent the content of attachment {attachment_id} as invalid base64.") from None
    expected = row.get("checksum")
    if (expected and digest.hexdigest() != expected) or size != (row.get("file_size") or 0):
        raise ServerError(
            f"The content Odoo sent for attachment {attachment_id} ({row['name']!r}) does not match "
            f"the file it stored: {size} bytes with SHA-1 {_short(digest.hexdigest())}, where Odoo "
            f"records {row.get('file_size') or 0} bytes with SHA-1 {_short(expected)}. Nothing was "
            "returned.",
            hint="Try again; if it persists, the file is damaged in Odoo's file store: tell the Odoo "
            "administrator.",
        )
    return content, size


def download_attachment(client: OdooClient, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """One attachment with its content. Its size is read and checked against ``maxBytes`` first,
    and only then is the content fetched, so an oversized file is never transferred."""
    attachment_id = inputs["attachmentId"]
    max_bytes = inputs.get("maxBytes", DEFAULT_MAX_BYTES)
    row = _read_meta(client, attachment_id)
    size = row.get("file_size") or 0
    if size > max_bytes:
        raise _too_large(f"Attachment {attachment_id} ({row['name']!r})", size, max_bytes)
    content, _ = _fetch_content(client, row)
    return {**_meta(row), "content": content}


def _no_document(model: str, why: str) -> OdooValidationError:
    return OdooValidationError(
        f"{model} has no customer portal document to download as PDF ({why}).",
        hint="getRecordPdf works for models customers see in Odoo's portal, such as sale.order "
        "(quotations and orders) and account.move (invoices). For files attached to the record, use "
        "listAttachments and downloadAttachment.",
    )


def _portal_path(client: OdooClient, model: str, record_id: int) -> str:
    """The record's portal link to its PDF, with the access token registered as a secret."""
    try:
        url = client.call(model, "get_portal_url", [record_id], report_type="pdf", download=True)
    except NotFoundError as exc:
        if "get_portal_url" in exc.message:
            raise _no_document(model, "it has no customer portal") from None
        if "does not exist or has been deleted" in exc.message:
            raise _missing(model, record_id) from None
        raise
    if not isinstance(url, str):
        raise _no_document(model, "Odoo gave no portal link")
    query = parse_qs(urlsplit(url).query)
    for token in query.get("access_token", []):
        register_secret(token, lasting=False)  # one per document: kept among the recent ones
    if not url.startswith("/") or url.startswith("//"):
        raise _no_document(model, "its portal link is not a page of this server")
    try:
        check_same_origin_path(client.session.base_url, url)
    except InputError:
        raise _no_document(model, "its portal link is not a page of this server") from None
    return url


def _filename(disposition: str, fallback: str) -> str:
    """The file name of a Content-Disposition header (RFC 6266: ``filename*`` wins)."""
    extended = re.search(r"filename\*\s*=\s*([^']*)'[^']*'([^;]+)", disposition, re.I)
    if extended:
        return unquote(extended.group(2).strip(), encoding=extended.group(1) or "utf-8")
    plain = re.search(r'filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)', disposition, re.I)
    if plain:
        return (plain.group(1) or plain.group(2) or "").strip() or fallback
    return fallback


class _RedactHttpxLog(logging.Filter):
    """httpx logs every request's URL at INFO ("HTTP Request: GET /my/orders/3?access_token=…"):
    in a host application that logs INFO, that line would carry the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        return True


_HTTPX_LOG = logging.getLogger("httpx")


def _get_document(
    client: OdooClient, path: str, model: str, record_id: int, max_bytes: int
) -> tuple[httpx.Response, bytes]:
    """A plain GET of the portal link on the connection's own server, within the connection's
    deadline, redirects refused: the answer and its body.

    The link's token is the credential: the API key (JSON-2's Authorization header) is not sent,
    nor any cookie; ``X-Odoo-Database`` picks the database (and keeps Odoo from opening a browser
    session). Cookies the answer sets are dropped, so the client's later calls stay stateless.

    The body is streamed: a document over ``max_bytes`` is refused from its Content-Length before
    a byte of it is read, or as soon as more than that has arrived (a missing or lying length, a
    compressed body); any other answer is read up to :data:`_PAGE_BYTES`, enough to say why.
    """
    session = client.session
    url = check_same_origin_path(session.base_url, path)
    where = urlsplit(path).path
    request = session.client.build_request(
        "GET",
        url,
        headers={"X-Odoo-Database": client.database, "Accept": "application/pdf, */*"},
        timeout=timeouts(session.deadline),
    )
    for name in ("Authorization", "Cookie"):
        request.headers.pop(name, None)
    saved = list(session.client.cookies.jar)
    session.request_count += 1
    quiet = _RedactHttpxLog()
    _HTTPX_LOG.addFilter(quiet)
    try:
        with deadline(session.deadline):
            response = session.client.send(request, follow_redirects=False, stream=True)
            try:
                if response.status_code == 200 and _kind(response) in _DOCUMENT_TYPES:
                    body = _read_capped(response, max_bytes, f"The PDF of {model} record {record_id}")
                else:
                    body = _read_capped(response, _PAGE_BYTES, None)
            finally:
                response.close()
    except httpx.TimeoutException as exc:
        raise TransportError(
            f"The PDF of {model} record {record_id} ({where}) did not arrive within "
            f"{session.deadline:g} s ({type(exc).__name__}).",
            hint="Odoo renders the PDF while you wait; allow more time with the connection's timeout.",
        ) from None
    except httpx.HTTPError as exc:
        raise TransportError(
            f"GET {where} failed: {redact(str(exc) or type(exc).__name__, session.secrets)}"
        ) from None
    finally:
        _HTTPX_LOG.removeFilter(quiet)
        session.client.cookies.jar.clear()
        for cookie in saved:
            session.client.cookies.jar.set_cookie(cookie)
    return response, body


def _kind(response: httpx.Response) -> str:
    return str(response.headers.get("content-type", "")).split(";")[0].strip().lower()


def _read_capped(response: httpx.Response, limit: int, what: str | None) -> bytes:
    """The body, at most ``limit`` bytes of it. ``what`` names a document, which is refused
    (InputError on maxBytes) when it is larger; None reads a page only so far (to say why it is
    no document)."""
    declared = response.headers.get("content-length", "")
    if what is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(what, int(declared), limit)
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limit:
            if what is not None:
                raise _too_large(what, None, limit)
            del body[limit:]
            break
    return bytes(body)


def _document_error(
    response: httpx.Response, body: bytes, model: str, record_id: int, where: str
) -> OdooConnectorError:
    status = response.status_code
    try:
        page = body.decode(response.charset_encoding or "utf-8", "replace")
    except LookupError:  # a charset Python does not know
        page = body.decode("utf-8", "replace")
    text = page if "html" in response.headers.get("content-type", "") or status >= 400 else ""
    if "wkhtmltopdf" in text.lower():
        return ServerError(
            f"Odoo cannot make the PDF of {model} record {record_id}: wkhtmltopdf, the program Odoo "
            "renders PDFs with, is not installed on the Odoo server.",
            hint="The Odoo administrator must install wkhtmltopdf on the Odoo server (the version "
            "Odoo's documentation names for Odoo 19, with patched Qt) and restart Odoo.",
            status=status,
        )
    if response.is_redirect:
        target = urlsplit(response.headers.get("Location", "")).path or "?"
        return NotFoundError(
            f"Odoo would not show the PDF of {model} record {record_id}: its portal page redirected "
            f"to {target}.",
            hint="The record may have been deleted, or its portal link revoked; check it exists.",
            status=status,
        )
    if status == 404:
        return _no_document(model, f"its portal page {where} was not found")
    if status < 400:
        kind = response.headers.get("content-type", "").split(";")[0] or "no content type"
        return _no_document(model, f"its portal page answers {kind}, not a PDF")
    title = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
    said = title.group(1).strip() if title else text.strip()[:200]
    cls: type[OdooConnectorError] = ServerError if status >= 500 else OdooRequestError
    return cls(
        f"Odoo answered {status} to the request for the PDF of {model} record {record_id}: "
        f"{redact(said) or '(empty body)'}",
        status=status,
    )


def get_record_pdf(client: OdooClient, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The record's customer document as a file: ``{fileName, mimetype, size, content}``.

    For an invoice that Odoo has already generated (sent or printed), its stored PDF; otherwise
    Odoo renders the document now (a second or two). A posted invoice with several legal
    documents (a PDF and an e-invoice XML) comes as the ZIP Odoo's portal gives
    (``application/zip``). Either is refused over ``maxBytes``, as downloadAttachment refuses a
    file: from its stored size or Content-Length before reading, and while reading.
    """
    model, record_id = inputs["model"], inputs["recordId"]
    max_bytes = inputs.get("maxBytes", DEFAULT_MAX_BYTES)
    stored_field = _STORED_PDF.get(model)
    if stored_field:
        rows = client.call(model, "read", [record_id], fields=[stored_field])
        if not rows:
            raise _missing(model, record_id)
        stored = rows[0].get(stored_field)
        if stored:
            row = _read_meta(client, int(stored[0] if isinstance(stored, list) else stored))
            if (row.get("file_size") or 0) > max_bytes:  # as downloadAttachment: before the content
                raise _too_large(
                    f"The stored PDF of {model} record {record_id} ({row['name']!r})",
                    row["file_size"],
                    max_bytes,
                )
            content, size = _fetch_content(client, row)
            return {
                "fileName": row["name"],
                "mimetype": row.get("mimetype") or "application/pdf",
                "size": size,
                "content": content,
            }
    path = _portal_path(client, model, record_id)
    where = urlsplit(path).path
    response, body = _get_document(client, path, model, record_id, max_bytes)
    kind = _kind(response)
    if response.status_code != 200 or kind not in _DOCUMENT_TYPES:
        raise _document_error(response, body, model, record_id, where)
    extension = "zip" if kind == "application/zip" else "pdf"
    fallback = f"{model.replace('.', '_')}_{record_id}.{extension}"
    return {
        "fileName": _filename(response.headers.get("content-disposition", ""), fallback),
        "mimetype": kind,
        "size": len(body),
        "content": base64.b64encode(body).decode("ascii"),
    }
