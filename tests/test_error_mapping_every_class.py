"""Every row of the error table (odoo_connector.client.mapping) over each way Odoo answers: an
XML-RPC fault (Basic Auth), a JSON-2 error body (API key), and a page that is not JSON at all (a
proxy, a wrong URL, an unknown database). Each lands on its class, hence on its exit status:
a value Odoo's database refuses is the caller's to fix (2), not "the server failed, retry" (5).

tests/test_error_mapping.py holds the shapes a real Odoo 19 produced; this file walks the table."""

from __future__ import annotations

import json
import xmlrpc.client
from typing import Any

import httpx
import pytest

from odoo_connector import client as client_module
from odoo_connector.cli import main
from odoo_connector.client.mapping import from_json2_error, from_xmlrpc_fault
from odoo_connector.errors import (
    AccessDeniedError,
    AuthenticationError,
    DatabaseNotFoundError,
    NotFoundError,
    OdooConnectorError,
    OdooValidationError,
    ServerError,
    UnsupportedServerError,
)

from .fakes import FakeOdoo, fake_connection
from .fakes.odoo import API_KEY, DATABASE, LOGIN, PASSWORD

# Every exception name Odoo lets out that the table knows, with its class and exit status.
BY_NAME: list[tuple[str, type[OdooConnectorError], int]] = [
    ("werkzeug.exceptions.Unauthorized", AuthenticationError, 3),
    ("odoo.exceptions.AccessDenied", AuthenticationError, 3),
    ("odoo.exceptions.AccessError", AccessDeniedError, 4),
    ("odoo.exceptions.MissingError", NotFoundError, 4),
    ("werkzeug.exceptions.NotFound", NotFoundError, 4),
    ("odoo.exceptions.ValidationError", OdooValidationError, 2),
    ("odoo.exceptions.UserError", OdooValidationError, 2),
    ("odoo.exceptions.RedirectWarning", OdooValidationError, 2),
    ("werkzeug.exceptions.UnprocessableEntity", OdooValidationError, 2),
    ("werkzeug.exceptions.BadRequest", OdooValidationError, 2),
    ("builtins.ValueError", OdooValidationError, 2),
    ("builtins.TypeError", OdooValidationError, 2),
    ("builtins.KeyError", OdooValidationError, 2),
    ("psycopg2.errors.InvalidTextRepresentation", OdooValidationError, 2),
    ("psycopg2.errors.NotNullViolation", OdooValidationError, 2),
    ("psycopg2.errors.ForeignKeyViolation", OdooValidationError, 2),
    ("psycopg2.errors.UniqueViolation", OdooValidationError, 2),
    ("psycopg2.errors.CheckViolation", OdooValidationError, 2),
    ("psycopg2.errors.NumericValueOutOfRange", OdooValidationError, 2),
    ("psycopg2.errors.InvalidDatetimeFormat", OdooValidationError, 2),
    ("psycopg2.errors.DatetimeFieldOverflow", OdooValidationError, 2),
    ("psycopg2.errors.StringDataRightTruncation", OdooValidationError, 2),
    # not in the table: Odoo failed
    ("psycopg2.errors.SerializationFailure", ServerError, 5),
    ("odoo.exceptions.CacheMiss", ServerError, 5),
    ("RuntimeError", ServerError, 5),
]
HINTS = {
    "builtins.ValueError": "A field name or value is not valid for this model: compare it with "
    "listModelFields.",
    "psycopg2.errors.InvalidTextRepresentation": "A value has the wrong type for its field (for a many2one "
    "give the record id as a number).",
    "werkzeug.exceptions.UnprocessableEntity": "The method's arguments do not match its signature.",
}
NOT_NULL = 'null value in column "name" of relation "res_partner" violates not-null constraint'


def traceback(name: str, message: str) -> str:
    """An XML-RPC code-1 fault string as Odoo 19 sends it: the server's traceback, its last line
    the exception (builtins shown bare, as Python prints them)."""
    shown = name.removeprefix("builtins.")
    return (
        f'Traceback (most recent call last):\n  File "/odoo/odoo/http.py", line 1, in x\n{shown}: {message}\n'
    )


# --- XML-RPC faults --------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "cls", "status"), BY_NAME)
def test_a_code_1_fault_is_mapped_on_the_exception_its_traceback_ends_with(name, cls, status):
    text = traceback(name, NOT_NULL)
    error = from_xmlrpc_fault(1, text)
    assert type(error) is cls
    assert error.exit_code == status
    assert error.message == NOT_NULL
    assert error.detail == text
    assert error.odoo_name == name.removeprefix("builtins.")
    assert error.hint  # the class's own: a fault carries no hint of Odoo's


@pytest.mark.parametrize(
    ("code", "text", "cls", "message", "odoo_name"),
    [
        (
            3,
            "Access Denied",
            AuthenticationError,
            "Odoo refused the login or password (Access Denied).",
            "odoo.exceptions.AccessDenied",
        ),
        (
            1,
            " Access Denied \n",
            AuthenticationError,
            "Odoo refused the login or password (Access Denied).",
            "odoo.exceptions.AccessDenied",
        ),
        (
            4,
            " You are not allowed to access 'Contact' (res.partner) records.\n",
            AccessDeniedError,
            "You are not allowed to access 'Contact' (res.partner) records.",
            "odoo.exceptions.AccessError",
        ),
        (
            2,
            "Object res.partnr doesn't exist",
            NotFoundError,
            "Object res.partnr doesn't exist",
            "odoo.exceptions.UserError",
        ),
        (
            2,
            "Record does not exist or has been deleted.\n(Record: res.partner(7,), User: 2)",
            NotFoundError,
            "Record does not exist or has been deleted.\n(Record: res.partner(7,), User: 2)",
            "odoo.exceptions.UserError",
        ),
        (
            2,
            " The operation cannot be completed: a partner must have a name. ",
            OdooValidationError,
            "The operation cannot be completed: a partner must have a name.",
            "odoo.exceptions.UserError",
        ),
        (
            1,
            traceback("AttributeError", "The method 'frobnicate' does not exist"),
            NotFoundError,
            "The method 'frobnicate' does not exist",
            "builtins.AttributeError",
        ),
        (
            1,
            traceback(
                "psycopg2.OperationalError",
                'connection to server failed: FATAL:  database "nodb" does not exist',
            ),
            DatabaseNotFoundError,
            'The Odoo server has no database "nodb".',
            None,
        ),
        (
            1,
            "Traceback (most recent call last):\n  File x\nthe worker was killed",
            ServerError,
            "the worker was killed",
            None,
        ),
        (1, "", ServerError, "Odoo failed while handling the request.", None),
    ],
)
def test_each_fault_code_and_message_has_its_class(code, text, cls, message, odoo_name):
    error = from_xmlrpc_fault(code, text)
    assert type(error) is cls
    assert error.message == message
    assert error.odoo_name == odoo_name


def test_the_method_missing_fault_says_where_to_find_the_public_methods():
    error = from_xmlrpc_fault(1, traceback("AttributeError", "The method 'frobnicate' does not exist"))
    assert error.hint == (
        "Check the method name: it must be a public method of the model (see the model's API "
        "documentation in Odoo, /doc, for the Technical Documentation group)."
    )
    assert error.detail and "Traceback" in error.detail


def test_a_fault_never_carries_a_secret_it_was_given():
    error = from_xmlrpc_fault(
        1, traceback("ValueError", "bad key sk-0123456789abcdefXYZ"), secrets=("sk-0123456789abcdefXYZ",)
    )
    assert "sk-0123456789abcdefXYZ" not in f"{error.message} {error.detail}"


# --- JSON-2 error bodies ---------------------------------------------------------------------


def json2(
    status: int, body: Any, content_type: str = "application/json", **kwargs: Any
) -> OdooConnectorError:
    text = body if isinstance(body, str) else json.dumps(body)
    return from_json2_error(status, content_type, text, model="res.partner", method="create", **kwargs)


@pytest.mark.parametrize(("name", "cls", "status"), BY_NAME)
def test_a_json2_error_is_mapped_on_its_name_whatever_the_status(name, cls, status):
    error = json2(500, {"name": name, "message": NOT_NULL, "debug": f"Traceback\n{name}: {NOT_NULL}"})
    assert type(error) is cls
    assert error.exit_code == status
    assert (error.message, error.odoo_name, error.status) == (NOT_NULL, name, 500)
    assert error.detail == f"Traceback\n{name}: {NOT_NULL}"
    assert error.hint == HINTS.get(name, error.hint)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, OdooValidationError),
        (401, AuthenticationError),
        (403, AccessDeniedError),
        (404, NotFoundError),
        (409, OdooValidationError),
        (422, OdooValidationError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_an_unknown_name_falls_back_on_the_status(status, cls):
    error = json2(status, {"name": "odoo.addons.shop.ShopError", "message": "no"})
    assert type(error) is cls
    assert error.odoo_name == "odoo.addons.shop.ShopError"
    nameless = json2(status, {"message": ""})
    assert type(nameless) is cls
    assert nameless.message == f"Odoo answered {status} to res.partner.create."
    assert nameless.odoo_name is None
    assert nameless.detail is None


def test_a_not_found_that_asks_did_you_mean_is_the_wrong_url():
    error = json2(404, {"name": "werkzeug.exceptions.NotFound", "message": "Did you mean POST /json/2/x?"})
    assert type(error) is UnsupportedServerError
    assert error.exit_code == 3
    other = json2(404, {"name": "werkzeug.exceptions.NotFound", "message": "Nothing here. Did you mean x?"})
    assert type(other) is NotFoundError


def test_secrets_leave_neither_the_message_nor_the_detail():
    body = {
        "name": "builtins.ValueError",
        "message": "key sk-0123456789abcdefXYZ",
        "debug": "at sk-0123456789abcdefXYZ",
    }
    error = json2(500, body, secrets=("sk-0123456789abcdefXYZ",))
    assert "sk-0123456789abcdefXYZ" not in f"{error.message} {error.detail}"


# --- answers that are not Odoo's JSON --------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "content_type", "text", "cls", "message"),
    [
        (
            404,
            "text/html",
            "<html>No database is selected</html>",
            DatabaseNotFoundError,
            "The Odoo server has no database \"shop\" (it answered its 'no database is selected' page).",
        ),
        (
            404,
            "text/html",
            "<p>Set X-Odoo-Database</p>",
            DatabaseNotFoundError,
            "The Odoo server has no database \"shop\" (it answered its 'no database is selected' page).",
        ),
        (
            404,
            "text/html",
            "<title>404 Not Found</title>",
            UnsupportedServerError,
            "The server answered 404 Not Found for the JSON-2 endpoint of res.partner.create.",
        ),
        (
            401,
            "text/html",
            "<title>401</title>",
            AuthenticationError,
            "The server refused the credentials (401).",
        ),
        (
            403,
            "text/html",
            "<title>Forbidden</title>",
            AccessDeniedError,
            "The server refused the request (403).",
        ),
        (
            502,
            "text/html",
            "<html><TITLE>\n 502 Bad Gateway </TITLE></html>",
            ServerError,
            "The server answered 502 to res.partner.create: 502 Bad Gateway",
        ),
        (
            500,
            "text/plain",
            "  Internal Server Error  ",
            ServerError,
            "The server answered 500 to res.partner.create: Internal Server Error",
        ),
        (503, "text/plain", "", ServerError, "The server answered 503 to res.partner.create: (empty body)"),
        (
            400,
            "text/plain",
            "x" * 300,
            OdooValidationError,
            "The server answered 400 to res.partner.create: " + "x" * 200,
        ),
        (
            415,
            "application/json",
            "{not json",
            OdooValidationError,
            "The server answered 415 to res.partner.create: {not json",
        ),
        (
            500,
            "application/json",
            '{"error": "no message"}',
            ServerError,
            'The server answered 500 to res.partner.create: {"error": "no message"}',
        ),
        (
            500,
            "application/json",
            '["a list"]',
            ServerError,
            'The server answered 500 to res.partner.create: ["a list"]',
        ),
    ],
)
def test_a_page_that_is_not_odoos_json_is_mapped_on_its_status(status, content_type, text, cls, message):
    error = json2(status, text, content_type, database="shop")
    assert type(error) is cls
    assert error.message == message
    assert error.status == status


def test_an_unknown_database_without_a_name_says_so_plainly():
    error = from_json2_error(404, "text/html", "No database is selected", model="m", method="x")
    assert (
        error.message == "The Odoo server has no database (it answered its 'no database is selected' page)."
    )


def test_a_wrong_url_says_to_check_it_and_when_to_use_basic_auth():
    error = json2(404, "<title>404</title>", "text/html")
    assert error.hint == (
        "Check the base URL points at Odoo 19 or later. For older Odoo versions use the Basic "
        "Authentication (XML-RPC) connection."
    )


# --- the exit status, through the CLI --------------------------------------------------------


class NotNullOnCreate(httpx.BaseTransport):
    """Odoo whose database refuses the create: NotNullViolation, as each protocol answers it."""

    def __init__(self) -> None:
        self.odoo = FakeOdoo()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/json/2/res.partner/create":
            body = {"name": "psycopg2.errors.NotNullViolation", "message": NOT_NULL, "debug": "Traceback"}
            return httpx.Response(500, json=body)
        content = request.read()
        if request.url.path == "/xmlrpc/2/object" and b"<string>create</string>" in content:
            fault = xmlrpc.client.Fault(1, traceback("psycopg2.errors.NotNullViolation", NOT_NULL))
            text = xmlrpc.client.dumps(fault, methodresponse=True)
            return httpx.Response(200, content=text.encode(), headers={"Content-Type": "text/xml"})
        return self.odoo.handle_request(request)


@pytest.mark.parametrize("transport", ["json2", "xmlrpc"])
def test_a_not_null_violation_is_a_validation_error_with_exit_2(transport, monkeypatch, capsys, no_odoo_env):
    monkeypatch.setenv("ODOO_URL", "http://fake.test")
    monkeypatch.setenv("ODOO_DB", DATABASE)
    if transport == "json2":
        monkeypatch.setenv("ODOO_API_KEY", API_KEY)
    else:
        monkeypatch.setenv("ODOO_USERNAME", LOGIN)
        monkeypatch.setenv("ODOO_PASSWORD", PASSWORD)
    server = NotNullOnCreate()

    def make(connection: Any, **options: Any) -> Any:
        assert connection.type == fake_connection(transport).type
        cls = client_module.Json2Client if transport == "json2" else client_module.XmlRpcClient
        return cls(connection, http_transport=server)

    monkeypatch.setattr(client_module, "make_client", make)
    status = main(
        ["run", "createRecord", "--input", '{"model": "res.partner", "parameters": {"email": "a@b.c"}}']
    )
    error = json.loads(capsys.readouterr().err.strip().splitlines()[-1])["error"]
    assert status == 2
    assert error["type"] == "OdooValidationError"
    assert error["message"] == NOT_NULL


def test_an_unknown_database_keeps_odoos_traceback_as_detail():
    text = traceback("psycopg2.OperationalError", 'FATAL:  database "nodb" does not exist')
    error = from_xmlrpc_fault(1, text)
    assert type(error) is DatabaseNotFoundError
    assert error.detail == text


def test_a_missing_method_is_named_whole_even_with_a_colon_in_its_name():
    error = from_xmlrpc_fault(1, traceback("AttributeError", "The method 'x: y' does not exist"))
    assert type(error) is NotFoundError
    assert error.message == "The method 'x: y' does not exist"
