"""Connection settings are normalised, or refused with a message naming the field, before any request."""

from __future__ import annotations

import pytest

from odoo_connector.connections import (
    ApiKeyConnection,
    BasicAuthConnection,
    connection_from_env,
    normalise_base_url,
    parse_connection,
)
from odoo_connector.errors import InputError

KEY = "k" * 40


@pytest.mark.parametrize(
    ("raw", "port", "expected"),
    [
        ("https://acme.odoo.com", None, "https://acme.odoo.com"),
        ("https://acme.odoo.com/", None, "https://acme.odoo.com"),
        ("  https://acme.odoo.com/odoo  ", None, "https://acme.odoo.com"),
        ("https://acme.odoo.com/odoo/contacts", None, "https://acme.odoo.com"),
        ("https://acme.odoo.com/web/login", None, "https://acme.odoo.com"),
        ("https://acme.odoo.com/web#action=1", None, None),
        ("http://127.0.0.1:8069", None, "http://127.0.0.1:8069"),
        ("http://127.0.0.1", 8069, "http://127.0.0.1:8069"),
        ("http://127.0.0.1:8069/", 8069, "http://127.0.0.1:8069"),
        ("https://acme.odoo.com:443", None, "https://acme.odoo.com"),
        ("https://acme.odoo.com", 443, "https://acme.odoo.com"),
        ("http://[::1]:8069", None, "http://[::1]:8069"),
    ],
)
def test_base_url_normalisation(raw, port, expected):
    if expected is None:
        with pytest.raises(InputError):
            normalise_base_url(raw, port)
    else:
        assert normalise_base_url(raw, port) == expected


@pytest.mark.parametrize(
    ("raw", "port", "says"),
    [
        ("acme.odoo.com", None, "https://acme.odoo.com"),
        ("ftp://acme.odoo.com", None, "https://"),
        ("https://user:pw@acme.odoo.com", None, "user name or password"),
        ("https://acme.odoo.com/custom/api", None, "has a path"),
        ("https://acme.odoo.com?db=x", None, "'?'"),
        ("http://127.0.0.1:8069", 8070, "port 8069"),
        ("", None, "empty"),
    ],
)
def test_bad_base_url_says_what_to_fix(raw, port, says):
    with pytest.raises(InputError) as err:
        normalise_base_url(raw, port)
    assert says in str(err.value)


def test_parse_api_key_connection_normalises_and_hides_the_key():
    conn = parse_connection(
        {
            "type": "odooApiKey",
            "baseUrl": "https://acme.odoo.com/",
            "port": "8443",
            "database": "acme",
            "apiKey": f"  {KEY} ",
        }
    )
    assert isinstance(conn, ApiKeyConnection)
    assert conn.url == "https://acme.odoo.com:8443"
    assert conn.api_key.get_secret_value() == KEY
    assert KEY not in repr(conn) and KEY not in str(conn)


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"type": "odooApiKey", "baseUrl": "https://a.b", "database": "acme"}, "apiKey"),
        ({"type": "odooApiKey", "baseUrl": "https://a.b", "database": "a", "apiKey": KEY}, "database"),
        (
            {"type": "odooApiKey", "baseUrl": "https://a.b", "database": "acme", "apiKey": KEY, "port": 0},
            "port",
        ),
        (
            {"type": "odooApiKey", "baseUrl": "https://a.b", "database": "acme", "apiKey": KEY, "port": "x"},
            "port",
        ),
        ({"type": "odooApiKey", "baseUrl": "https://a.b", "database": "acme", "apiKey": "a b"}, "apiKey"),
        # found by test_cli_properties: a key that is not ASCII cannot go in the Authorization header
        ({"type": "odooApiKey", "baseUrl": "https://a.b", "database": "acme", "apiKey": "k\x80y"}, "apiKey"),
        (
            {"type": "odooBasicAuth", "baseUrl": "https://a.b", "database": "acme", "username": "u"},
            "password",
        ),
        (
            {
                "type": "odooBasicAuth",
                "baseUrl": "https://a.b",
                "database": "acme",
                "username": " ",
                "password": "p",
            },
            "username",
        ),
        ({"type": "nope", "baseUrl": "https://a.b", "database": "acme"}, "type"),
        ({"type": "odooApiKey", "baseUrl": "https://a.b", "database": "acme", "apiKey": KEY, "x": 1}, "x"),
    ],
)
def test_bad_connection_names_the_field_not_the_secret(data, path):
    with pytest.raises(InputError) as err:
        parse_connection(data)
    assert err.value.path == path
    assert KEY not in str(err.value)


def test_connection_from_env_prefers_the_api_key():
    env = {
        "ODOO_URL": "https://a.b",
        "ODOO_DB": "acme",
        "ODOO_API_KEY": KEY,
        "ODOO_USERNAME": "u",
        "ODOO_PASSWORD": "p",
    }
    assert isinstance(connection_from_env(env), ApiKeyConnection)
    del env["ODOO_API_KEY"]
    conn = connection_from_env(env)
    assert isinstance(conn, BasicAuthConnection) and conn.username == "u"


def test_connection_from_env_lists_what_is_missing():
    with pytest.raises(InputError) as err:
        connection_from_env({"ODOO_URL": "https://a.b", "ODOO_USERNAME": "u"})
    assert "ODOO_DB" in err.value.message and "ODOO_PASSWORD" in err.value.message


@pytest.mark.parametrize("timeout", [0.5, 0, -1, 3601, "abc", "٣"])
def test_a_timeout_outside_one_to_3600_seconds_is_refused(timeout):
    from odoo_connector.errors import ConnectionSettingsError

    with pytest.raises(ConnectionSettingsError) as err:
        parse_connection(
            {
                "type": "odooApiKey",
                "baseUrl": "https://acme.odoo.com",
                "database": "acme",
                "apiKey": KEY,
                "timeout": timeout,
            }
        )
    assert err.value.path == "timeout" and err.value.exit_code == 3


@pytest.mark.parametrize("retry_for", [-1, 3601, "abc", "٣", "1e9"])
def test_a_retry_for_outside_zero_to_3600_seconds_is_refused(retry_for):
    from odoo_connector.errors import ConnectionSettingsError

    base = {"type": "odooApiKey", "baseUrl": "https://acme.odoo.com", "database": "acme", "apiKey": KEY}
    with pytest.raises(ConnectionSettingsError) as err:
        parse_connection({**base, "retryFor": retry_for})
    assert err.value.path == "retryFor" and err.value.exit_code == 3
    assert "retryFor" in err.value.message


def test_retry_for_comes_from_the_form_as_text_or_from_odoo_retry_for():
    base = {"type": "odooApiKey", "baseUrl": "https://acme.odoo.com", "database": "acme", "apiKey": KEY}
    assert parse_connection({**base, "retryFor": " 0 "}).retry_for == 0
    assert parse_connection(base).retry_for is None  # the default, 60 s (client/http.py)
    env = {"ODOO_URL": "https://acme.odoo.com", "ODOO_DB": "acme", "ODOO_API_KEY": KEY, "ODOO_RETRY_FOR": "5"}
    assert connection_from_env(env).retry_for == 5
