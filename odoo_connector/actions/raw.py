"""The two escape hatches: rawHttpRequest (API key connection) and rawRequest (XML-RPC).

rawHttpRequest sends the user's API key with every request, so the one rule that matters is that
the request can only ever go to the connection's own origin: the URL input is a path, checked in
every decoded form before sending, the final URL is compared with the base URL's origin, and a
redirect to another origin is refused instead of followed.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import httpx

from ..client import OdooClient
from ..client.http import deadline, parse_retry_after, timeouts
from ..client.json2 import Json2Client
from ..client.mapping import from_json2_error
from ..client.xmlrpc import XmlRpcClient
from ..errors import InputError, OdooRequestError, TransportError, redact
from ..runtime import Envelope

__all__ = ["check_same_origin_path", "raw_http_request", "raw_request"]

# RFC 9110 token characters: what a header name may be made of.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_FORBIDDEN_HEADERS = frozenset({"authorization", "host", "x-odoo-database", "cookie", "proxy-authorization"})
_MAX_REDIRECTS = 5


def check_same_origin_path(base_url: str, path: Any) -> str:
    """Returns ``base_url + path`` if that can only reach ``base_url``'s origin, else raises
    InputError. Refuses schemes, ``//host``, backslashes, ``@``, control characters, and the same
    in percent-encoded (also doubly encoded) form."""
    if not isinstance(path, str) or not path:
        raise InputError(
            "The input 'url' must be a path on the Odoo server, e.g. /json/2/res.partner/search_read.",
            path="url",
        )
    forms = [path]
    for _ in range(3):
        decoded = unquote(forms[-1])
        if decoded == forms[-1]:
            break
        forms.append(decoded)
    for form in forms:
        before_query = form.split("?", 1)[0].split("#", 1)[0]
        problem = None
        if not form.startswith("/"):
            problem = "must start with '/' (a path on the Odoo server, not a full URL)"
        elif form.startswith(("//", "/\\")):
            problem = "must not start with '//' (that names another host)"
        elif "\\" in form:
            problem = "must not contain a backslash"
        elif "://" in form.split("?", 1)[0]:
            problem = "must not contain a scheme such as https://"
        elif "@" in before_query:
            problem = "must not contain '@' in the path"
        elif any(ord(ch) < 0x20 or ord(ch) == 0x7F or ch.isspace() for ch in form):
            problem = "must not contain spaces or control characters"
        if problem:
            raise InputError(
                f"The input 'url' {problem}: the connection's API key is only ever sent to {base_url}.",
                path="url",
                hint="Give a path such as /json/2/res.partner/search_read; the base URL is added.",
            )
    full = base_url + path
    target, base = httpx.URL(full), httpx.URL(base_url)
    if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
        raise InputError(
            f"The input 'url' would leave {base_url}; only paths on that server are allowed.", path="url"
        )
    return full


def _checked_headers(given: Mapping[str, Any]) -> dict[str, str]:
    """Header names and values HTTP can carry, refused here with the header's name rather than
    failing inside the HTTP stack (a CR/LF would also let a value smuggle a second header)."""
    headers = {str(k): str(v) for k, v in given.items()}
    bad = sorted(h for h in headers if h.lower() in _FORBIDDEN_HEADERS)
    if bad:
        raise InputError(
            f"The input 'headers' must not set {', '.join(bad)}: the connection sets them.", path="headers"
        )
    for name, value in headers.items():
        if not _TOKEN.fullmatch(name):
            raise InputError(
                f"The header name {name!r} is not valid: use letters, digits and - only.",
                path=f"headers.{name}",
            )
        if any(ch in value for ch in "\r\n\0"):
            raise InputError(
                f"The value of the header {name!r} contains a line break or NUL character.",
                path=f"headers.{name}",
            )
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise InputError(
                f"The value of the header {name!r} has characters HTTP headers cannot carry "
                "(only Latin-1 text is allowed).",
                path=f"headers.{name}",
                hint="Percent-encode or base64-encode the value.",
            ) from None
    return headers


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def raw_http_request(client: OdooClient, inputs: Mapping[str, Any]) -> Envelope:
    if not isinstance(client, Json2Client):
        raise InputError("rawHttpRequest needs the odooApiKey connection (it sends the API key).")
    session = client.session
    url = check_same_origin_path(session.base_url, inputs["url"])
    method = inputs.get("method", "GET").upper()
    headers = _checked_headers(inputs.get("headers") or {})
    request_kwargs: dict[str, Any] = {"headers": headers, "params": inputs.get("queryParams") or None}
    files = _files(inputs)
    if files or inputs.get("formData"):
        request_kwargs["data"] = {k: str(v) for k, v in (inputs.get("formData") or {}).items()}
        request_kwargs["files"] = files or None
    elif "data" in inputs and inputs["data"] is not None and method not in ("GET", "HEAD"):
        data = inputs["data"]
        if isinstance(data, str):
            request_kwargs["content"] = data.encode()
        else:
            request_kwargs["content"] = json.dumps(data).encode()
            headers.setdefault("Content-Type", "application/json")
    timeout = inputs.get("timeout", 30000) / 1000.0
    max_retries: int = inputs.get("maxRetries", 0)
    delay = inputs.get("retryDelayMs", 1000) / 1000.0
    exponential: bool = inputs.get("useExponentialBackoff", False)
    retry_all: bool = inputs.get("retryOnAllErrors", False)

    attempt = 0
    while True:
        attempt += 1
        try:
            response = _send(session, method, url, timeout, request_kwargs)
        except TransportError:
            if attempt <= max_retries:
                session.sleep(delay * (2 ** (attempt - 1) if exponential else 1))
                continue
            raise
        status = response.status_code
        retryable = status >= 500 or status == 429 or (retry_all and status >= 400)
        if retryable and attempt <= max_retries:
            wait = parse_retry_after(response.headers.get("Retry-After")) if status == 429 else None
            session.sleep(wait if wait is not None else delay * (2 ** (attempt - 1) if exponential else 1))
            continue
        if status >= 400:
            raise from_json2_error(
                status,
                response.headers.get("content-type", ""),
                response.text,
                model="raw",
                method=inputs["url"],
                secrets=session.secrets,
            )
        # A session cookie is a credential: the user gets the header's presence, not its value.
        own = _own_secrets(session.secrets)
        headers = {
            key: "<redacted>" if key.lower() == "set-cookie" else _cut(value, own)
            for key, value in response.headers.items()
        }
        body = _cut(_body(response, inputs.get("responseType", "json")), own)
        return Envelope(body, status=status, headers=headers)


def _own_secrets(secrets: Any) -> tuple[str, ...]:
    """The request's own credentials long enough never to be a word of real data (an API key is
    40 random characters): a route that echoes the request (a debug endpoint, a proxy) hands them
    back, and a raw answer is printed. Shorter values are left alone, since data is never
    rewritten."""
    return tuple(value for value in secrets if len(value) >= 16)


def _cut(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` with the request's own long secrets cut out of its strings (parsed JSON stays
    valid: the cut happens after parsing)."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, "<redacted>")
        return value
    if isinstance(value, dict):
        return {_cut(k, secrets): _cut(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_cut(v, secrets) for v in value]
    return value


def _send(session: Any, method: str, url: str, timeout: float, kwargs: dict[str, Any]) -> httpx.Response:
    origin = httpx.URL(session.base_url)
    for _ in range(_MAX_REDIRECTS + 1):
        session.request_count += 1
        try:
            # `timeout` is a deadline for the whole attempt, not per socket read
            with deadline(timeout):
                response: httpx.Response = session.client.request(
                    method, url, timeout=timeouts(timeout), **kwargs
                )
        except httpx.TimeoutException as exc:
            raise TransportError(
                f"{method} {_path_on_server(url, session.base_url)} did not complete within "
                f"{timeout:g} s ({type(exc).__name__}).",
                hint="Raise the input 'timeout' (milliseconds) or ask the server for less.",
            ) from None
        except httpx.HTTPError as exc:
            raise TransportError(
                f"{method} {_path_on_server(url, session.base_url)} failed: "
                f"{redact(str(exc) or type(exc).__name__, session.secrets)}"
            ) from None
        if not response.is_redirect:
            return response
        location = response.headers.get("Location", "")
        try:
            target = httpx.URL(url).join(location)
        except httpx.InvalidURL:
            raise OdooRequestError(
                f"The server redirected to a location that is not a valid URL ({location[:100]!r}).",
                status=response.status_code,
            ) from None
        if not _same_origin(target, origin):
            port = f":{target.port}" if target.port else ""
            raise OdooRequestError(
                f"The server redirected to another origin ({target.scheme}://{target.host}{port}); the "
                "redirect was not followed so the API key stays with the Odoo server.",
                hint="Request the final path directly.",
                status=response.status_code,
            )
        url = str(target)
        if response.status_code in (301, 302, 303):
            method, kwargs = "GET", {"headers": kwargs.get("headers")}
    raise TransportError(f"More than {_MAX_REDIRECTS} redirects for {url}.")


def _path_on_server(url: str, base: str) -> str:
    return url[len(base) :] if url.startswith(base) else url


def _files(inputs: Mapping[str, Any]) -> dict[str, tuple[str, bytes]]:
    files: dict[str, tuple[str, bytes]] = {}
    names = inputs.get("fileDataFileNames") or {}
    for field, content in (inputs.get("fileData") or {}).items():
        try:
            raw = base64.b64decode(content, validate=True)
        except (ValueError, TypeError):
            raise InputError(
                f"fileData.{field} must be base64-encoded file content.", path=f"fileData.{field}"
            ) from None
        files[field] = (names.get(field, field), raw)
    return files


def _body(response: httpx.Response, response_type: str) -> Any:
    if response_type == "binary":
        return {
            "base64": base64.b64encode(response.content).decode("ascii"),
            "contentType": response.headers.get("content-type", "application/octet-stream"),
        }
    if response_type == "text":
        return response.text
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def raw_request(client: OdooClient, inputs: Mapping[str, Any]) -> Any:
    """``execute_kw(model, method, parameters, keywordArguments)`` exactly as given: for a record
    method, the first positional parameter is the list of ids."""
    if not isinstance(client, XmlRpcClient):
        raise InputError("rawRequest needs the odooBasicAuth connection (it calls XML-RPC execute_kw).")
    return client.execute_kw(
        inputs["model"], inputs["method"], inputs.get("parameters", []), inputs.get("keywordArguments") or {}
    )
