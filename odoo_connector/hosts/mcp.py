"""``odoo-connector mcp``: the connector's units as a Model Context Protocol server (docs/mcp.md).

Built on the official SDK's low-level server, fed from :class:`~.tools.Toolbox`: every tool,
schema and hint comes from the manifest. Every call goes through
:func:`~odoo_connector.runtime.invoke` (validation before anything is sent, the same errors); a
connector error becomes an error result carrying ``{"error": {"type", "message", "hint"}}``, the
words the CLI prints, and nothing else (no traceback). The blocking call runs in a worker thread
so one slow request never stalls the protocol.

Completions: MCP completes the arguments of prompts, not of tools, so every tool with inputs a
picklist fills (``x-dataSource``) is also offered as a prompt of the same name, whose arguments
complete from that picklist; getting the prompt asks the agent to call the tool.

Transports: stdio (what desktop agents start), and streamable HTTP on 127.0.0.1 behind a bearer
token checked on every request before the SDK sees it. The connection is the process's (the
``--connection`` file or the ``ODOO_*`` variables): never a tool argument, never in a result.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import socket
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
import mcp_types as types
from mcp.server.lowlevel import Server

from .. import __version__
from ..errors import ConfigurationError, OdooConnectorError, redact
from .tools import Toolbox

__all__ = ["build_server", "serve_http", "serve_stdio"]

log = logging.getLogger("odoo_connector.mcp")

_INSTRUCTIONS = (
    "Odoo 19 through odoo-connector, acting as one Odoo user with that user's rights. Tools are "
    "named by the connector's keys; select* tools list models, records, companies, languages and "
    "methods by name. Read before you write; ask the user before a destructive tool."
)


def _annotations(tool_unit: Any) -> types.ToolAnnotations:
    return types.ToolAnnotations(
        title=tool_unit.label,
        read_only_hint=tool_unit.read_only,
        destructive_hint=tool_unit.destructive,
        idempotent_hint=tool_unit.idempotent,
        open_world_hint=True,  # every tool reaches an Odoo database outside this process
    )


def _error_result(error: dict[str, Any]) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=json.dumps({"error": error}, ensure_ascii=False))],
        is_error=True,
    )


def build_server(toolbox: Toolbox) -> Server[Any]:
    """The MCP server for one toolbox (its manifest, connection and policy)."""
    tools = [
        types.Tool(
            name=tool.key,
            title=tool.unit.label,
            description=tool.unit.description,
            input_schema=tool.input_schema,
            output_schema=tool.output_schema,
            annotations=_annotations(tool.unit),
        )
        for tool in toolbox.tools.values()
    ]
    prompts = [
        types.Prompt(
            name=tool.key,
            title=tool.unit.label,
            description=f"{tool.unit.description} (arguments complete from Odoo's lists)",
            arguments=[
                types.PromptArgument(
                    name=name,
                    description=str(prop.get("description", "")),
                    required=name in tool.input_schema.get("required", []),
                )
                for name, prop in (tool.input_schema.get("properties") or {}).items()
                if isinstance(prop, dict)
                and (name in toolbox.completable(tool.key) or prop.get("type") == "string")
            ],
        )
        for tool in toolbox.tools.values()
        if toolbox.completable(tool.key)
    ]

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        try:
            envelope = await anyio.to_thread.run_sync(toolbox.call, params.name, params.arguments)
        except OdooConnectorError as exc:
            return _error_result(exc.to_dict())
        except Exception as exc:  # a bug: said in one line, without a traceback or a secret
            log.warning(
                "tool %s failed unexpectedly: %s", params.name, redact(f"{type(exc).__name__}: {exc}")
            )
            return _error_result(
                {
                    "type": "UnexpectedError",
                    "message": redact(f"{type(exc).__name__}: {exc}"),
                    "hint": "This is a bug in odoo-connector; please report it.",
                }
            )
        text = json.dumps(envelope, ensure_ascii=False, default=str)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)], structured_content=envelope
        )

    async def list_prompts(ctx: Any, params: Any) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=prompts)

    async def get_prompt(ctx: Any, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        toolbox.check_policy(params.name, params.arguments or {})
        arguments = json.dumps(params.arguments or {}, ensure_ascii=False)
        return types.GetPromptResult(
            description=toolbox.tools[params.name].unit.label,
            messages=[
                types.PromptMessage(
                    role="user",
                    content=types.TextContent(
                        type="text", text=f"Call the tool {params.name} with {arguments}."
                    ),
                )
            ],
        )

    async def complete(ctx: Any, params: types.CompleteRequestParams) -> types.CompleteResult:
        values: list[str] = []
        if isinstance(params.ref, types.PromptReference):
            given = dict(params.context.arguments or {}) if params.context else {}
            values = await anyio.to_thread.run_sync(
                toolbox.complete, params.ref.name, params.argument.name, params.argument.value, given
            )
        return types.CompleteResult(completion=types.Completion(values=values, has_more=False))

    return Server(
        "odoo-connector",
        version=__version__,
        title=toolbox.manifest.label,
        description=toolbox.manifest.description,
        instructions=_INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
        on_completion=complete,
    )


async def _run_stdio(server: Server[Any]) -> None:
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def serve_stdio(toolbox: Toolbox) -> int:
    """Serves on stdin/stdout until the client closes them."""
    anyio.run(_run_stdio, build_server(toolbox))
    return 0


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def bearer_guard(app: App, token: str) -> App:
    """Refuses every HTTP request without ``Authorization: Bearer <token>`` (401), compared in
    constant time, before the MCP app sees it; lifespan events pass."""
    expected = f"Bearer {token}".encode()

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, expected):
                body = json.dumps(
                    {"error": {"type": "AuthenticationError", "message": "A missing or wrong bearer token."}}
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"www-authenticate", b'Bearer realm="odoo-connector"'),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return guarded


def serve_http(toolbox: Toolbox, *, port: int, token: str | None) -> int:
    """Serves streamable HTTP on 127.0.0.1:``port`` (0: any free port) at ``/mcp``. Without a
    ``token``, one is made and printed once on stderr with the address."""
    import uvicorn

    generated = token is None
    token = token or secrets.token_urlsafe(32)
    server = build_server(toolbox)
    app = bearer_guard(server.streamable_http_app(host="127.0.0.1"), token)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise ConfigurationError(
            f"Cannot listen on 127.0.0.1:{port}: {exc.strerror}.", hint="Choose another --port."
        ) from None
    sock.listen(128)  # before announcing: a client that connects at once waits in the backlog
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    announce: dict[str, Any] = {"mcp": {"url": url}}
    if generated:
        announce["mcp"]["token"] = token  # the one place it is shown; pass --token-env to choose it
    sys.stderr.write(json.dumps(announce) + "\n")
    sys.stderr.flush()
    config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])
    return 0
