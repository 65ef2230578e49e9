"""rawHttpRequest sends the API key only to the connection's own origin."""

from __future__ import annotations

import httpx
import pytest

from odoo_connector import invoke
from odoo_connector.actions.raw import check_same_origin_path
from odoo_connector.client import make_client
from odoo_connector.connections import parse_connection
from odoo_connector.errors import InputError, OdooConnectorError

BASE = "https://acme.odoo.com"
CONN = {"type": "odooApiKey", "baseUrl": BASE, "database": "acme", "apiKey": "test-key"}


@pytest.mark.parametrize(
    "path",
    [
        "/json/2/res.partner/search_read",
        "/web/version?x=a@b.c",
        "/web/image/res.partner/1/avatar_128",
        "/odoo%2Fcontacts",
    ],
)
def test_paths_on_the_server_are_allowed(path):
    assert check_same_origin_path(BASE, path) == BASE + path


@pytest.mark.parametrize(
    "path",
    [
        "https://evil.example/steal",
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "/%2F%2Fevil.example",
        "/%2fevil",
        "%2F%2Fevil.example",
        "/%5Cevil",
        "/%255Cevil",
        "@evil.example",
        "/x@evil.example",
        "/%40evil.example",
        "evil.example",
        "",
        "/a/https://evil.example",
        "/a b",
        "/a\nb",
        "/%0d%0aHost:evil",
        "javascript:alert(1)",
    ],
)
def test_anything_that_could_reach_another_host_is_refused(path):
    with pytest.raises(InputError) as err:
        check_same_origin_path(BASE, path)
    assert err.value.path == "url"


def _client(handler):
    return make_client(parse_connection(CONN), http_transport=httpx.MockTransport(handler))  # type: ignore[arg-type]


def test_redirect_to_another_origin_is_not_followed():
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "https://evil.example/collect"})

    with pytest.raises(OdooConnectorError, match="another origin"):
        invoke("rawHttpRequest", CONN, {"url": "/web/login"}, client=_client(handler))
    assert seen == [f"{BASE}/web/login"]


def test_same_origin_redirect_is_followed_with_the_key():
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "bearer test-key"
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "/new"})
        return httpx.Response(200, json={"ok": True})

    result = invoke("rawHttpRequest", CONN, {"url": "/old"}, client=_client(handler))
    assert result["data"] == {"ok": True} and result["status"] == 200


def test_retries_on_5xx_and_honours_retry_after_on_429():
    answers = iter(
        [
            httpx.Response(503),
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(200, text="done"),
        ]
    )
    client = _client(lambda request: next(answers))
    waits: list[float] = []
    client.session.sleep = waits.append
    result = invoke(
        "rawHttpRequest",
        CONN,
        {"url": "/x", "maxRetries": 3, "retryDelayMs": 100, "responseType": "text"},
        client=client,
    )
    assert result["data"] == "done"
    assert waits == [0.1, 7.0]


def test_no_retry_on_4xx_unless_asked():
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(400, json={"name": "werkzeug.exceptions.BadRequest", "message": "bad"})

    with pytest.raises(OdooConnectorError, match="bad"):
        invoke("rawHttpRequest", CONN, {"url": "/x", "maxRetries": 2}, client=_client(handler))
    assert len(calls) == 1


def test_binary_comes_back_base64_with_content_type():
    client = _client(lambda r: httpx.Response(200, content=b"\x89PNG", headers={"Content-Type": "image/png"}))
    result = invoke("rawHttpRequest", CONN, {"url": "/web/image", "responseType": "binary"}, client=client)
    assert result["data"] == {"base64": "iVBORw==", "contentType": "image/png"}


def test_connection_headers_cannot_be_overridden():
    with pytest.raises(InputError, match="Authorization"):
        invoke(
            "rawHttpRequest",
            CONN,
            {"url": "/x", "headers": {"Authorization": "bearer other"}},
            client=_client(lambda r: httpx.Response(200)),
        )


def test_multipart_upload_sends_files_and_fields():
    def handler(request: httpx.Request) -> httpx.Response:
        body = request.read()
        assert b'filename="hello.txt"' in body and b"hello" in body and b"report" in body
        return httpx.Response(200, json={"uploaded": True})

    result = invoke(
        "rawHttpRequest",
        CONN,
        {
            "url": "/upload",
            "method": "POST",
            "formData": {"name": "report"},
            "fileData": {"file": "aGVsbG8="},
            "fileDataFileNames": {"file": "hello.txt"},
        },
        client=_client(handler),
    )
    assert result["data"] == {"uploaded": True}
