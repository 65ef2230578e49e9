"""A stand-in Odoo for the benchmarks: answers JSON-2, XML-RPC and JSON-RPC instantly.

Why a fake: the benchmarks measure what the *connector* costs, so the server must cost (almost)
nothing and always the same. Two data shapes:

* **synthetic** (default): records ``1..N`` made on demand, never stored, so a 100 000-record
  fetchAll costs the server no memory. Only domains made of ``id`` terms are understood
  (``["id", ">", N]`` is what ``iter_records`` sends when paging by key).
* **table**: a small list of dicts the caller owns and mutates (the poll benchmark), with a
  generic domain evaluator (``&``, ``|``, ``!``, comparison terms) and multi-key ``order``.

Answers to identical read requests are cached as encoded bytes, so repeated calls (the overhead
benchmark) are answered with a fixed body and no work.

Run as a script (``python bench/fake_odoo.py --port 0 --records 100000``) it serves HTTP/1.1 with
keep-alive on 127.0.0.1 and prints ``PORT <n>`` once listening; :func:`running_server` does that
in a subprocess, so the server never competes for the benchmark's GIL.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import xmlrpc.client
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

__all__ = ["FIELDS", "FakeOdoo", "mock_transport", "running_server", "synthetic_record"]

UID = 2
VERSION_INFO = [19, 0, 0, "final", 0, ""]
_CACHE_LIMIT = 256
_MUTATING = frozenset({"create", "write", "unlink"})

# Shaped like a res.partner row as Odoo 19 answers search_read (types, many2one pairs, dates).
FIELDS: dict[str, dict[str, Any]] = {
    "id": {"type": "integer", "string": "ID", "store": True},
    "name": {"type": "char", "string": "Name", "store": True},
    "display_name": {"type": "char", "string": "Display Name", "store": False},
    "email": {"type": "char", "string": "Email", "store": True},
    "phone": {"type": "char", "string": "Phone", "store": True},
    "street": {"type": "char", "string": "Street", "store": True},
    "city": {"type": "char", "string": "City", "store": True},
    "zip": {"type": "char", "string": "Zip", "store": True},
    "country_id": {"type": "many2one", "string": "Country", "relation": "res.country", "store": True},
    "company_id": {"type": "many2one", "string": "Company", "relation": "res.company", "store": True},
    "is_company": {"type": "boolean", "string": "Is a Company", "store": True},
    "active": {"type": "boolean", "string": "Active", "store": True},
    "ref": {"type": "char", "string": "Reference", "store": True},
    "lang": {"type": "selection", "string": "Language", "selection": [["en_US", "English"]], "store": True},
    "comment": {"type": "html", "string": "Notes", "store": True},
    "create_date": {"type": "datetime", "string": "Created on", "store": True},
    "write_date": {"type": "datetime", "string": "Last Updated on", "store": True},
    "category_id": {"type": "many2many", "string": "Tags", "relation": "res.partner.category", "store": True},
}


def synthetic_record(record_id: int) -> dict[str, Any]:
    """Record ``record_id`` of the synthetic table: deterministic, about 520 bytes of JSON."""
    return {
        "id": record_id,
        "name": f"Partner {record_id}",
        "display_name": f"Partner {record_id}",
        "email": f"partner{record_id}@example.com",
        "phone": f"+32 2 555 {record_id % 10000:04d}",
        "street": f"{record_id % 300 + 1} Avenue Louise",
        "city": "Brussels",
        "zip": "1050",
        "country_id": [20, "Belgium"],
        "company_id": [1, "My Company"],
        "is_company": record_id % 7 == 0,
        "active": True,
        "ref": f"P{record_id:07d}",
        "lang": "en_US",
        "comment": False,
        "create_date": "2025-01-01 09:00:00",
        "write_date": "2025-06-01 12:00:00",
        "category_id": [],
    }


def _project(record: dict[str, Any], fields: Sequence[str] | None) -> dict[str, Any]:
    if not fields:
        return {k: v for k, v in record.items() if FIELDS.get(k, {}).get("type") not in ("many2many",)}
    out = {"id": record["id"]}
    for name in fields:
        out[name] = record.get(name, False)
    return out


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a is not False and a > b,
    ">=": lambda a, b: a is not False and a >= b,
    "<": lambda a, b: a is not False and a < b,
    "<=": lambda a, b: a is not False and a <= b,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}


def compile_domain(domain: Sequence[Any]) -> Callable[[dict[str, Any]], bool]:
    """A predicate for an Odoo prefix-notation domain (enough of it for the benchmarks)."""
    tokens = list(domain)
    pos = 0

    def parse() -> Callable[[dict[str, Any]], bool]:
        nonlocal pos
        item = tokens[pos]
        pos += 1
        if item == "&":
            a, b = parse(), parse()
            return lambda r: a(r) and b(r)
        if item == "|":
            a, b = parse(), parse()
            return lambda r: a(r) or b(r)
        if item == "!":
            a = parse()
            return lambda r: not a(r)
        field, op, value = item
        test = _OPS[op]
        return lambda r: test(r.get(field, False), value)

    parts = []
    while pos < len(tokens):
        parts.append(parse())
    return lambda r: all(p(r) for p in parts)


def _id_bounds(domain: Sequence[Any], count: int) -> tuple[int, int]:
    """``[lo, hi]`` for a domain of ``id`` terms over records ``1..count``."""
    lo, hi = 1, count
    for term in domain:
        if term == "&":
            continue
        if not isinstance(term, list | tuple) or term[0] != "id":
            raise ValueError(f"the synthetic table understands only id terms, not {term!r}")
        _, op, value = term
        if op == ">":
            lo = max(lo, value + 1)
        elif op == ">=":
            lo = max(lo, value)
        elif op == "<":
            hi = min(hi, value - 1)
        elif op == "<=":
            hi = min(hi, value)
        elif op == "=":
            lo, hi = max(lo, value), min(hi, value)
        else:
            raise ValueError(f"unsupported id operator {op!r}")
    return lo, hi


def _sort(rows: list[dict[str, Any]], order: str | None) -> list[dict[str, Any]]:
    keys = [part.split() for part in (order or "id asc").split(",") if part.strip()]
    for spec in reversed(keys):
        field, desc = spec[0], len(spec) > 1 and spec[1].lower() == "desc"
        rows.sort(key=lambda r, f=field: r.get(f) or "", reverse=desc)  # type: ignore[misc]
    return rows


class FakeOdoo:
    """The request handling, independent of any socket: ``handle(path, body) -> (status, type, bytes)``."""

    def __init__(self, records: int = 1000, rows: list[dict[str, Any]] | None = None) -> None:
        self.records = records
        self.rows = rows
        self.requests = 0
        self._cache: dict[tuple[str, bytes], tuple[int, str, bytes]] = {}

    # --- the model methods, shared by every protocol -------------------------------------------
    def model_call(self, model: str, method: str, ids: list[int] | None, kw: dict[str, Any]) -> Any:
        if method == "search_read":
            return self.search_read(kw.get("domain") or [], kw.get("fields"), kw.get("order"),
                                    kw.get("limit"), kw.get("offset") or 0)
        if method == "read":
            return [_project(r, kw.get("fields")) for r in self._by_ids(ids or [])]
        if method == "search_count":
            return len(self._matching(kw.get("domain") or [], None))
        if method == "fields_get":
            return {k: {"required": False, "readonly": False, **v} for k, v in FIELDS.items()}
        if method == "context_get":
            return {"lang": "en_US", "tz": "Europe/Brussels", "uid": UID}
        if method == "check_access_rights":
            return True
        raise LookupError(f"{model}.{method} is not implemented by the fake server")

    def _by_ids(self, ids: list[int]) -> list[dict[str, Any]]:
        if self.rows is not None:
            wanted = set(ids)
            return [r for r in self.rows if r["id"] in wanted]
        return [synthetic_record(i) for i in ids if 1 <= i <= self.records]

    def _matching(self, domain: Sequence[Any], order: str | None) -> list[dict[str, Any]]:
        assert self.rows is not None
        test = compile_domain(domain)
        return _sort([r for r in self.rows if test(r)], order)

    def search_read(self, domain: Sequence[Any], fields: Sequence[str] | None, order: str | None,
                    limit: int | None, offset: int) -> list[dict[str, Any]]:
        if self.rows is not None:
            rows = self._matching(domain, order)
            end = None if limit is None else offset + limit
            return [_project(r, fields) for r in rows[offset:end]]
        if order and order.replace(" ", "").lower() not in ("id", "idasc"):
            raise ValueError(f"the synthetic table is ordered by id only, not {order!r}")
        lo, hi = _id_bounds(domain, self.records)
        start = lo + offset
        stop = hi + 1 if limit is None else min(hi + 1, start + limit)
        return [_project(synthetic_record(i), fields) for i in range(start, stop)]

    # --- protocols ------------------------------------------------------------------------------
    def handle(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        self.requests += 1
        cache_key = (path, body)
        hit = self._cache.get(cache_key)
        if hit is not None:
            return hit
        try:
            status, ctype, payload, cacheable = self._dispatch(method, path, body)
        except Exception as exc:  # the fake reports what it cannot do instead of hanging
            message = {"name": type(exc).__name__, "message": str(exc), "arguments": [str(exc)],
                       "context": {}, "debug": ""}
            return 500, "application/json", json.dumps(message).encode()
        answer = (status, ctype, payload)
        if cacheable and self.rows is None and len(self._cache) < _CACHE_LIMIT:
            self._cache[cache_key] = answer
        return answer

    def _dispatch(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes, bool]:
        if path == "/web/version":
            return 200, "application/json", json.dumps(
                {"version": "19.0", "version_info": VERSION_INFO}).encode(), True
        if path.startswith("/json/2/"):
            model, _, odoo_method = path[len("/json/2/"):].partition("/")
            kw = json.loads(body) if body else {}
            ids = kw.pop("ids", None)
            kw.pop("context", None)
            result = self.model_call(model, odoo_method, ids, kw)
            payload = json.dumps(result).encode()
            return 200, "application/json; charset=utf-8", payload, odoo_method not in _MUTATING
        if path.startswith("/xmlrpc/2/"):
            return self._xmlrpc(path.rsplit("/", 1)[1], body)
        if path == "/jsonrpc" or path == "/web/webclient/version_info":
            return self._jsonrpc(path, body)
        return 404, "text/plain", b"not found", False

    def _xmlrpc(self, endpoint: str, body: bytes) -> tuple[int, str, bytes, bool]:
        loaded: tuple[Any, ...]
        loaded, name = xmlrpc.client.loads(body, use_builtin_types=True)
        params: Any = loaded
        result: Any
        if endpoint == "common":
            if name == "version":
                result = {"server_version": "19.0", "server_version_info": VERSION_INFO}
            elif name in ("authenticate", "login"):
                result = UID
            else:
                raise LookupError(f"common.{name}")
        else:
            _db, _uid, _pw, model, method, args, *rest = params
            kw = dict(rest[0]) if rest else {}
            kw.pop("context", None)
            ids = list(args[0]) if args and isinstance(args[0], list) else None
            result = self.model_call(model, method, ids, kw)
        out = xmlrpc.client.dumps((result,), methodresponse=True, allow_none=True).encode()
        return 200, "text/xml; charset=utf-8", out, name != "execute_kw" or params[4] not in _MUTATING

    def _jsonrpc(self, path: str, body: bytes) -> tuple[int, str, bytes, bool]:
        request = json.loads(body) if body else {}
        params = request.get("params") or {}
        result: Any
        if path == "/web/webclient/version_info":
            result = {"server_version": "19.0", "server_version_info": VERSION_INFO, "protocol_version": 1}
        elif params.get("service") == "common":
            result = UID
        else:
            args = params["args"]
            if params.get("method") == "execute":
                result = self.model_call(args[3], args[4], None, {})
            else:
                _db, _uid, _pw, model, method, call_args, kw = args
                kw = dict(kw)
                kw.pop("context", None)
                ids = list(call_args[0]) if call_args and isinstance(call_args[0], list) else None
                result = self.model_call(model, method, ids, kw)
        out = json.dumps({"jsonrpc": "2.0", "id": request.get("id"), "result": result}).encode()
        # The id differs per request, so the body is never the same twice: do not cache.
        return 200, "application/json", out, False


def mock_transport(fake: FakeOdoo) -> httpx.MockTransport:
    """The fake behind an in-process httpx transport: for counting requests, not for timing."""

    def handler(request: httpx.Request) -> httpx.Response:
        status, ctype, payload = fake.handle(request.method, request.url.path, request.read())
        return httpx.Response(status, content=payload, headers={"Content-Type": ctype})

    return httpx.MockTransport(handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    fake: FakeOdoo

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a log line per request would cost more than the answer."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, ctype, payload = self.fake.handle(self.command, self.path.split("?", 1)[0], body)
        reason = {200: "OK", 404: "Not Found", 500: "Internal Server Error"}.get(status, "Status")
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {len(payload)}\r\n"
            + ("Connection: close\r\n" if self.close_connection else "")
            + "\r\n"
        )
        self.wfile.write(head.encode("latin-1") + payload)  # one write: no Nagle/delayed-ACK stall

    do_GET = _answer
    do_POST = _answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(port: int, fake: FakeOdoo) -> None:
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = _Server(("127.0.0.1", port), handler)
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


@contextmanager
def running_server(records: int = 1000) -> Iterator[str]:
    """Starts the fake in a subprocess on a free loopback port; yields its base URL."""
    script = Path(__file__).resolve()
    proc = subprocess.Popen(
        [sys.executable, str(script), "--port", "0", "--records", str(records)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the fake Odoo server did not start (said {line!r})")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--records", type=int, default=1000, help="size of the synthetic table")
    args = parser.parse_args()
    serve(args.port, FakeOdoo(records=args.records))


if __name__ == "__main__":
    main()
