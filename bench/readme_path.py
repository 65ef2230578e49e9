"""README path vs peers: the connector called as the README shows, beside what a Python developer
would write instead, against a real Odoo 19 (issue 19).

Three figures per pass, each interleaved round by round (every configuration once per round, the
order rotated each round) so that drift on the machine or the server hits all alike; every figure
is the median over the rounds:

1. **Per call, in process.** ``invoke("getRecordById", conn, {...})`` with no ``client=``: a
   fresh dict connection each call, exactly as the README's Python API section calls it, on
   ``odooApiKey`` (JSON-2) and on ``odooBasicAuth`` (XML-RPC), against a reused
   ``xmlrpc.client.ServerProxy`` doing the same ``read`` (login once, Odoo's documented way) and
   OdooRPC (``odoorpc.ODOO``, login once, ``env['crm.lead'].read``) when it is installed. Wall
   ms/call, CPU ms/call of this process, and connector / xmlrpc.client.
   Goals: <= 1.15x on JSON-2, <= 1.3x on XML-RPC (wall).
2. **fetchAll, whole process.** ``odoo-connector run listRecords --input '{"model": "crm.lead",
   "fetchAll": true, "fields": [...], "domain": [["name", "=like", "bench-lead-%"]]}'`` (and the
   ``--jsonl`` form, and the same over ``odooBasicAuth``) as a child process, against a child
   OdooRPC script and a child ``xmlrpc.client`` script doing one ``search_read`` of the same rows
   and writing them to stdout as JSON. Wall, CPU (user + system, from ``os.wait4``'s rusage of the
   child), peak RSS (``ru_maxrss``). Goals: <= 1.0x OdooRPC's wall, <= 3x its CPU.
3. **One-shot CLI, whole process.** ``odoo-connector run getRecordById --input ...`` against a
   hand-written ``xmlrpc.client`` script (and an OdooRPC one) doing the same read, with
   ``python -c pass`` as the floor. Goals: <= 0.15 s CPU and <= 30 MiB peak RSS.

Requests and connections: every configuration runs once more, untimed, through a small counting
TCP proxy on 127.0.0.1 in this process (so the proxy never adds to a timed figure). Over plain
HTTP the proxy parses the request stream and counts requests and TCP connections; over TLS the
stream is encrypted, so it counts connections (each one a TLS handshake) and requests are those of
the plain pass (the same code sends them). The counted run also checks the answers (record count).

Passes: plain HTTP on ODOO_URL, and HTTPS on ODOO_TLS_URL when it is set (``--tls`` for that
pass only, ``--no-tls`` for the plain one only); run the TLS pass with SSL_CERT_FILE pointing at
the proxy's CA (``SSL_CERT_FILE=$ODOO_TLS_CA``, or ODOO_TLS_CA is used for it). Odoo's built-in
server closes the connection after every answer, so over plain HTTP no client keeps one; the
nginx in front of the TLS URL keeps them, which is where reusing a connection pays.

Needs ODOO_URL, ODOO_DB, ODOO_API_KEY, ODOO_USERNAME and ODOO_PASSWORD (an ordinary user who can
read crm.lead) and the crm.lead records named ``bench-lead-*``; without them it says so and skips.
It writes nothing to the database. Credentials go only into connection files (mode 600, in a
private temporary directory) that the children and the connector read; they are never printed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from common import emit_json, median, print_table

HERE = Path(__file__).resolve().parent
CLI = Path(sys.executable).with_name("odoo-connector")
MODEL = "crm.lead"
FIELDS = ["name", "email_from", "stage_id", "expected_revenue"]
DOMAIN = [["name", "=like", "bench-lead-%"]]
GOAL_CALL = {"odooApiKey": 1.15, "odooBasicAuth": 1.3}
GOAL_FETCH_WALL, GOAL_FETCH_CPU = 1.0, 3.0
GOAL_ONESHOT_CPU_S, GOAL_ONESHOT_RSS_MIB = 0.15, 30.0
REQUIRED = ("ODOO_URL", "ODOO_DB", "ODOO_API_KEY", "ODOO_USERNAME", "ODOO_PASSWORD")
MIB = 1024.0

# The peers, as a Python developer would write them: one short script each, reading the
# connection file named on the command line (never credentials on a command line).
PEER_XMLRPC = '''\
import json, sys, xmlrpc.client
conn = json.load(open(sys.argv[1]))
mode, inputs = sys.argv[2], json.loads(sys.argv[3])
db, user, password = conn["database"], conn["username"], conn["password"]
common = xmlrpc.client.ServerProxy(conn["baseUrl"] + "/xmlrpc/2/common")
uid = common.authenticate(db, user, password, {})
models = xmlrpc.client.ServerProxy(conn["baseUrl"] + "/xmlrpc/2/object", allow_none=True)
if mode == "get":
    out = models.execute_kw(db, uid, password, inputs["model"], "read", [[inputs["recordId"]]],
                            {"fields": inputs["fields"]})[0]
else:
    out = models.execute_kw(db, uid, password, inputs["model"], "search_read", [inputs["domain"]],
                            {"fields": inputs["fields"]})
json.dump(out, sys.stdout)
'''

PEER_ODOORPC = '''\
import json, sys
from urllib.parse import urlsplit
import odoorpc
conn = json.load(open(sys.argv[1]))
mode, inputs = sys.argv[2], json.loads(sys.argv[3])
url = urlsplit(conn["baseUrl"])
tls = url.scheme == "https"
odoo = odoorpc.ODOO(url.hostname, protocol="jsonrpc+ssl" if tls else "jsonrpc",
                    port=url.port or (443 if tls else 80))
odoo.login(conn["database"], conn["username"], conn["password"])
model = odoo.env[inputs["model"]]
if mode == "get":
    out = model.read([inputs["recordId"]], inputs["fields"])[0]
else:
    out = model.search_read(inputs["domain"], inputs["fields"])
json.dump(out, sys.stdout)
'''


# --- the counting proxy --------------------------------------------------------------------------


class CountingProxy:
    """A TCP proxy on 127.0.0.1 to ``host:port`` that counts connections and, when the stream is
    plain HTTP/1.1, requests (request heads, bodies skipped by Content-Length)."""

    def __init__(self, host: str, port: int, parse_http: bool) -> None:
        self.upstream = (host, port)
        self.parse_http = parse_http
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = 0
        self.unparsed = False  # a chunked request body: the request count is not exact
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> dict[str, Any]:
        time.sleep(0.05)  # let the pumps see the last bytes of the run that just ended
        with self.lock:
            counts = {"connections": self.connections,
                      "requests": self.requests if self.parse_http and not self.unparsed else None}
            self.connections = self.requests = 0
            self.unparsed = False
        return counts

    def close(self) -> None:
        self._stopping = True
        self.listener.close()

    def _accept(self) -> None:
        while not self._stopping:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, outbound: bool) -> None:
        buf, body_left = bytearray(), 0
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
                if outbound and self.parse_http:
                    buf += data
                    body_left = self._count(buf, body_left)
        except OSError:
            pass
        finally:
            for sock, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
                with suppress(OSError):
                    sock.shutdown(how)
            if not outbound:
                src.close()
                dst.close()

    def _count(self, buf: bytearray, body_left: int) -> int:
        while True:
            if body_left:
                take = min(body_left, len(buf))
                del buf[:take]
                body_left -= take
                if body_left:
                    return body_left
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return 0
            head = bytes(buf[:end])
            del buf[: end + 4]
            with self.lock:
                self.requests += 1
                if re.search(rb"(?im)^transfer-encoding:\s*chunked", head):
                    self.unparsed = True
            length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            body_left = int(length.group(1)) if length else 0


@contextmanager
def counting_proxy(base_url: str) -> Iterator[tuple[CountingProxy, str]]:
    """The proxy and the base URL that goes through it (same scheme and host name, so TLS
    certificates still verify)."""
    parts = urlsplit(base_url)
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    proxy = CountingProxy(parts.hostname or "127.0.0.1", port, parse_http=not tls)
    try:
        yield proxy, urlunsplit((parts.scheme, f"{parts.hostname}:{proxy.port}", "", "", ""))
    finally:
        proxy.close()


# --- secrets, files, children ----------------------------------------------------------------------


class Secrets:
    """Writes connection files (mode 600) into a private temporary directory and scrubs the
    secret values out of any text about to be printed."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.values = [v for k, v in env.items() if k.startswith("ODOO_") and ("KEY" in k or "PASSWORD" in k)
                       and v]
        self.dir = Path(tempfile.mkdtemp(prefix="bench-readme-"))  # mode 700
        self._serial = 0

    def write(self, name: str, text: str, mode: int = 0o600) -> Path:
        path = self.dir / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        return path

    def connection_file(self, kind: str, base_url: str) -> Path:
        env = self.env
        conn: dict[str, Any] = {"type": kind, "baseUrl": base_url, "database": env["ODOO_DB"]}
        if kind == "odooApiKey":
            conn["apiKey"] = env["ODOO_API_KEY"]
        else:
            conn.update(username=env["ODOO_USERNAME"], password=env["ODOO_PASSWORD"])
        self._serial += 1
        return self.write(f"conn-{self._serial}-{kind}.json", json.dumps(conn))

    def connection(self, kind: str, base_url: str) -> dict[str, Any]:
        conn: dict[str, Any] = json.loads(self.connection_file(kind, base_url).read_text(encoding="utf-8"))
        return conn

    def scrub(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, "***")
        return text

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def child_env(ca_file: str | None) -> dict[str, str]:
    """The children's environment: no ODOO_* (the connection comes from the file), the CA for
    the TLS pass."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODOO_")}
    if ca_file:
        env["SSL_CERT_FILE"] = ca_file
    return env


# Children are started by a small helper process, not by this one: a child's ru_maxrss counts the
# memory of the process it was forked from (Linux keeps the larger of the two peaks across exec),
# and this process holds the connector, OdooRPC and the figure-1 loops (60+ MiB). The helper is a
# bare ``python -S`` (a few MiB, below any Python child's own peak) that posix_spawns the child,
# waits for it with os.wait4 and answers wall time and rusage as one JSON line.
SPAWNER = r"""
import json, os, sys, time
for line in sys.stdin:
    job = json.loads(line)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, job["stdout"], flags, 0o600),
               (os.POSIX_SPAWN_OPEN, 2, job["stderr"], flags, 0o600)]
    start = time.perf_counter()
    pid = os.posix_spawn(job["argv"][0], job["argv"], job["env"], file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    print(json.dumps({"status": os.waitstatus_to_exitcode(status), "wall_s": wall,
                      "cpu_s": usage.ru_utime + usage.ru_stime, "rss_kib": usage.ru_maxrss}), flush=True)
"""


class Spawner:
    """The helper process that starts and measures every child (see SPAWNER)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-S", "-c", SPAWNER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env={"PATH": os.defpath})

    def run(self, argv: Sequence[str], env: dict[str, str], stdout: Path | None,
            stderr: Path) -> dict[str, Any]:
        """Wall time, CPU (user + system) and peak RSS of one child process."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        job = {"argv": list(argv), "env": env, "stdout": str(stdout or os.devnull), "stderr": str(stderr)}
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise SystemExit("the spawner helper died")
        result: dict[str, Any] = json.loads(answer)
        return result

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def count_records(path: Path, jsonl: bool) -> int | None:
    try:
        if jsonl:
            with open(path, "rb") as handle:
                return sum(1 for line in handle if line.strip())
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and "data" in data:
        data = data["data"]
    return len(data) if isinstance(data, list) else 1 if isinstance(data, dict) else None


# --- figure 1: per call, in process ---------------------------------------------------------------

Loop = Callable[[int, int], None]


def call_loops(
    secrets: Secrets, base_url: str, ids: list[int]
) -> tuple[dict[str, Loop], list[Callable[[], Any]]]:
    """name -> loop(n, start) making n reads of ids[start...], and what closes them."""
    from odoo_connector import invoke

    basic = secrets.connection("odooBasicAuth", base_url)
    apikey = secrets.connection("odooApiKey", base_url)
    db, user, password = basic["database"], basic["username"], basic["password"]
    uid = xmlrpc.client.ServerProxy(base_url + "/xmlrpc/2/common").authenticate(db, user, password, {})
    proxy = xmlrpc.client.ServerProxy(base_url + "/xmlrpc/2/object", allow_none=True)
    n_ids = len(ids)

    def xmlrpc_loop(n: int, start: int) -> None:
        for i in range(start, start + n):
            rows = proxy.execute_kw(db, uid, password, MODEL, "read", [[ids[i % n_ids]]], {"fields": FIELDS})
            assert rows, "empty answer"

    def connector_loop(template: dict[str, Any]) -> Loop:
        def loop(n: int, start: int) -> None:
            for i in range(start, start + n):
                # as the README calls it: a connection dict, no client=, a new call each time
                out = invoke("getRecordById", dict(template),
                             {"model": MODEL, "recordId": ids[i % n_ids], "fields": list(FIELDS)})
                assert out["data"], "empty answer"
        return loop

    loops: dict[str, Loop] = {"xmlrpc": xmlrpc_loop}
    closers: list[Callable[[], Any]] = [proxy("close")]
    try:
        import odoorpc
    except ImportError:
        pass
    else:
        parts = urlsplit(base_url)
        tls = parts.scheme == "https"
        odoo = odoorpc.ODOO(parts.hostname, protocol="jsonrpc+ssl" if tls else "jsonrpc",
                            port=parts.port or (443 if tls else 80))
        odoo.login(db, user, password)

        def odoorpc_loop(n: int, start: int) -> None:
            for i in range(start, start + n):
                rows = odoo.env[MODEL].read([ids[i % n_ids]], FIELDS)
                assert rows, "empty answer"

        loops["odoorpc"] = odoorpc_loop
    loops["odooApiKey"] = connector_loop(apikey)
    loops["odooBasicAuth"] = connector_loop(basic)
    return loops, closers


CALL_NAMES = {"xmlrpc": "xmlrpc.client ServerProxy (reused, login once)",
              "odoorpc": "OdooRPC env[...].read (login once)",
              "odooApiKey": "connector invoke, odooApiKey (JSON-2)",
              "odooBasicAuth": "connector invoke, odooBasicAuth (XML-RPC)"}


def figure_calls(label: str, secrets: Secrets, base_url: str, ids: list[int], calls: int,
                 rounds: int, plain_requests: dict[str, Any] | None) -> dict[str, Any]:
    loops, closers = call_loops(secrets, base_url, ids)
    names = list(loops)
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    try:
        for loop in loops.values():
            loop(3, 0)  # warm: imports, manifest, first connection
        for r in range(rounds):
            order = names[r % len(names):] + names[: r % len(names)]
            for name in order:
                gc.collect()
                c0, w0 = time.process_time_ns(), time.perf_counter_ns()
                loops[name](calls, r * calls)
                w1, c1 = time.perf_counter_ns(), time.process_time_ns()
                wall[name].append((w1 - w0) / calls / 1e6)
                cpu[name].append((c1 - c0) / calls / 1e6)
    finally:
        for close in closers:
            close()
    counted: dict[str, dict[str, Any]] = {}
    with counting_proxy(base_url) as (proxy, proxied_url):
        loops, closers = call_loops(secrets, proxied_url, ids)
        try:
            proxy.reset()  # the setup's logins
            for name, loop in loops.items():
                loop(1, 0)  # the first call of a process may cost more; count the steady state
                proxy.reset()
                loop(10, 1)
                got = proxy.reset()
                counted[name] = {k: (v / 10 if v is not None else None) for k, v in got.items()}
        finally:
            for close in closers:
                close()
    result: dict[str, Any] = {"calls_per_round": calls, "rounds": rounds, "loops": {}}
    rows = []
    for name in names:
        ratios = [w / x for w, x in zip(wall[name], wall["xmlrpc"], strict=True)]
        cpu_ratios = [c / x for c, x in zip(cpu[name], cpu["xmlrpc"], strict=True) if x > 0]
        ratio, cpu_ratio = median(ratios), median(cpu_ratios) if cpu_ratios else None
        reqs = counted[name]["requests"]
        if reqs is None and plain_requests is not None:
            reqs = plain_requests.get(name, {}).get("requests_per_call")
        goal = GOAL_CALL.get(name)
        verdict = "-" if goal is None else ("met" if ratio <= goal else "MISSED")
        result["loops"][name] = {"wall_ms": median(wall[name]), "cpu_ms": median(cpu[name]),
                                 "ratio_to_xmlrpc": ratio, "cpu_ratio_to_xmlrpc": cpu_ratio,
                                 "requests_per_call": reqs,
                                 "connections_per_call": counted[name]["connections"],
                                 "goal": goal, "goal_met": None if goal is None else ratio <= goal}
        rows.append([CALL_NAMES[name], f"{median(wall[name]):.2f}", f"{median(cpu[name]):.2f}",
                     f"{ratio:.3f}", "-" if cpu_ratio is None else f"{cpu_ratio:.2f}",
                     "-" if reqs is None else f"{reqs:g}", f"{counted[name]['connections']:g}",
                     "-" if goal is None else f"<= {goal}", verdict])
    if "odoorpc" not in names:
        rows.append(["OdooRPC: skipped (not installed; pip install 'odoo-connector[bench]')",
                     "-", "-", "-", "-", "-", "-", "-", "-"])
    print_table(f"{label} 1. getRecordById per call, {MODEL} ({len(FIELDS)} fields): {calls} calls per loop "
                f"per round, {rounds} rounds",
                ["loop", "wall ms/call", "CPU ms/call", "wall / xmlrpc.client", "CPU / xmlrpc.client",
                 "requests/call", "connections/call", "goal", ""], rows)
    return result


# --- figures 2 and 3: whole processes ---------------------------------------------------------------


def process_configs(secrets: Secrets, base_url: str, ids: list[int],
                    figure: str) -> list[tuple[str, Callable[[str], list[str]], bool]]:
    """(name, argv for a base URL, output is JSON lines) for figure 'fetch' or 'get'."""
    try:
        import odoorpc  # noqa: F401
        have_odoorpc = True
    except ImportError:
        have_odoorpc = False
    xmlrpc_script = secrets.write("peer_xmlrpc.py", PEER_XMLRPC, 0o644)
    odoorpc_script = secrets.write("peer_odoorpc.py", PEER_ODOORPC, 0o644)
    inputs: dict[str, Any]
    peer_inputs: dict[str, Any]
    if figure == "fetch":
        inputs = {"model": MODEL, "fetchAll": True, "fields": FIELDS, "domain": DOMAIN}
        peer_inputs = {"model": MODEL, "fields": FIELDS, "domain": DOMAIN}
        key, mode = "listRecords", "fetch"
    else:
        inputs = {"model": MODEL, "recordId": ids[0], "fields": FIELDS}
        peer_inputs = inputs
        key, mode = "getRecordById", "get"
    conn_files: dict[tuple[str, str], Path] = {}

    def conn(kind: str, url: str) -> str:
        if (kind, url) not in conn_files:
            conn_files[kind, url] = secrets.connection_file(kind, url)
        return str(conn_files[kind, url])

    def cli(kind: str, *extra: str) -> Callable[[str], list[str]]:
        return lambda url: [str(CLI), "run", key, *extra, "--connection", conn(kind, url),
                            "--input", json.dumps(inputs)]

    def peer(script: Path) -> Callable[[str], list[str]]:
        return lambda url: [sys.executable, str(script), conn("odooBasicAuth", url), mode,
                            json.dumps(peer_inputs)]

    configs: list[tuple[str, Callable[[str], list[str]], bool]] = []
    if figure == "get":
        configs.append(("python -c pass (floor)", lambda url: [sys.executable, "-c", "pass"], False))
    configs.append((f"connector CLI {key}, odooApiKey", cli("odooApiKey"), False))
    if figure == "fetch":
        configs.append((f"connector CLI {key} --jsonl, odooApiKey", cli("odooApiKey", "--jsonl"), True))
    configs.append((f"connector CLI {key}, odooBasicAuth", cli("odooBasicAuth"), False))
    configs.append(("xmlrpc.client script", peer(xmlrpc_script), False))
    if have_odoorpc:
        configs.append(("OdooRPC script", peer(odoorpc_script), False))
    return configs


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def figure_processes(label: str, figure: str, secrets: Secrets, spawner: Spawner, base_url: str,
                     ids: list[int], rounds: int, ca_file: str | None, plain_requests: dict[str, Any] | None,
                     failures: list[str]) -> dict[str, Any]:
    configs = process_configs(secrets, base_url, ids, figure)
    env = child_env(ca_file)
    names = [name for name, _, _ in configs]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    err = secrets.dir / "stderr.txt"
    broken: set[str] = set()
    for r in range(rounds + 1):  # round 0 warms the disk cache and the server; not counted
        order = configs[r % len(configs):] + configs[: r % len(configs)]
        for name, argv, _ in order:
            if name in broken:
                continue
            res = spawner.run(argv(base_url), env, None, err)
            if res["status"] != 0:
                broken.add(name)
                last = err.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] or [""]
                failures.append(f"{label} {name}: exit status {res['status']}: "
                                f"{secrets.scrub(last[0])[:300]}")
                print(f"FAILED: {failures[-1]}", flush=True)
            elif r > 0:
                runs[name].append(res)
    counted: dict[str, dict[str, Any]] = {}
    out_file = secrets.dir / "stdout.json"
    with counting_proxy(base_url) as (proxy, proxied_url):
        for name, argv, jsonl in configs:
            if name in broken:
                continue
            proxy.reset()
            res = spawner.run(argv(proxied_url), env, out_file, err)
            counted[name] = {**proxy.reset(), "records": count_records(out_file, jsonl) if res["status"] == 0
                             else None}
    out_file.unlink(missing_ok=True)
    peer = "OdooRPC script" if figure == "fetch" else "xmlrpc.client script"
    result: dict[str, Any] = {"rounds": rounds, "configs": {}}
    rows = []
    for name in names:
        if name in broken or not runs[name]:
            rows.append([name, "failed", "-", "-", "-", "-", "-", "-", "-", "-"])
            continue
        wall = median([x["wall_s"] for x in runs[name]])
        cpu = median([x["cpu_s"] for x in runs[name]])
        rss = median([x["rss_kib"] for x in runs[name]]) / MIB
        fig: dict[str, Any] = {"wall_s": wall, "cpu_s": cpu, "peak_rss_mib": rss, **counted.get(name, {})}
        if fig.get("requests") is None and plain_requests is not None:
            fig["requests"] = plain_requests.get(name, {}).get("requests")
        wall_ratio = cpu_ratio = None
        if runs.get(peer) and len(runs[peer]) == len(runs[name]):
            pairs = list(zip(runs[name], runs[peer], strict=True))
            wall_ratio = median([a["wall_s"] / b["wall_s"] for a, b in pairs])
            cpu_ratio = median([a["cpu_s"] / b["cpu_s"] for a, b in pairs])
        fig.update(wall_ratio_to_peer=wall_ratio, cpu_ratio_to_peer=cpu_ratio)
        verdict = "-"
        if name.startswith("connector"):
            if figure == "fetch":
                if wall_ratio is None:
                    verdict = "n/a (no OdooRPC)"
                else:
                    met = [wall_ratio <= GOAL_FETCH_WALL,
                           cpu_ratio is not None and cpu_ratio <= GOAL_FETCH_CPU]
                    fig["goal_met"] = {"wall": met[0], "cpu": met[1]}
                    verdict = f"wall {_verdict(met[0])}, CPU {_verdict(met[1])}"
            else:
                met = [cpu <= GOAL_ONESHOT_CPU_S, rss <= GOAL_ONESHOT_RSS_MIB]
                fig["goal_met"] = {"cpu": met[0], "rss": met[1]}
                verdict = f"CPU {_verdict(met[0])}, RSS {_verdict(met[1])}"
        result["configs"][name] = fig
        reqs, conns = fig.get("requests"), fig.get("connections")
        rows.append([name, f"{wall:.3f}", f"{cpu:.3f}", f"{rss:.1f}",
                     "-" if wall_ratio is None else f"{wall_ratio:.2f}",
                     "-" if cpu_ratio is None else f"{cpu_ratio:.2f}",
                     "-" if reqs is None else reqs, "-" if conns is None else conns,
                     "-" if fig.get("records") is None else fig["records"], verdict])
    if "OdooRPC script" not in names:
        rows.append(["OdooRPC script: skipped (not installed; pip install 'odoo-connector[bench]')",
                     "-", "-", "-", "-", "-", "-", "-", "-", "-"])
    if figure == "fetch":
        title = (f"{label} 2. fetchAll of {MODEL} {DOMAIN[0]}, whole process, {rounds} rounds "
                 f"(goals: wall <= {GOAL_FETCH_WALL}x and CPU <= {GOAL_FETCH_CPU}x OdooRPC's)")
    else:
        title = (f"{label} 3. one-shot getRecordById, whole process, {rounds} rounds "
                 f"(goals: CPU <= {GOAL_ONESHOT_CPU_S} s, peak RSS <= {GOAL_ONESHOT_RSS_MIB:g} MiB)")
    print_table(title, ["process", "wall s", "CPU s", "peak RSS MiB", f"wall / {peer.split()[0]}",
                        f"CPU / {peer.split()[0]}", "requests", "connections", "records", "goal"], rows)
    return result


# --- the passes --------------------------------------------------------------------------------------


def bench_records(secrets: Secrets, base_url: str) -> tuple[list[int], int]:
    env = secrets.env
    db, user, password = env["ODOO_DB"], env["ODOO_USERNAME"], env["ODOO_PASSWORD"]
    uid = xmlrpc.client.ServerProxy(base_url + "/xmlrpc/2/common").authenticate(db, user, password, {})
    with xmlrpc.client.ServerProxy(base_url + "/xmlrpc/2/object", allow_none=True) as models:
        ids: Any = models.execute_kw(db, uid, password, MODEL, "search", [DOMAIN],
                                     {"limit": 200, "order": "id"})
        total: Any = models.execute_kw(db, uid, password, MODEL, "search_count", [DOMAIN])
    return list(ids), int(total)


def run_pass(label: str, base_url: str, ca_file: str | None, secrets: Secrets, spawner: Spawner,
             args: argparse.Namespace, figures: set[str], plain: dict[str, Any] | None,
             failures: list[str]) -> dict[str, Any]:
    ids, total = bench_records(secrets, base_url)
    parts = urlsplit(base_url)
    print(f"\n## {label}: {parts.scheme}://{parts.hostname}:{parts.port}, {total} {MODEL} records match "
          f"{DOMAIN[0]}", flush=True)
    if not ids:
        failures.append(f"{label}: no {MODEL} records named bench-lead-*")
        return {"skipped": "no bench-lead records"}
    out: dict[str, Any] = {"records": total}

    def plain_counts(fig: str, key: str) -> dict[str, Any] | None:
        return None if plain is None or fig not in plain else plain[fig][key]

    if "1" in figures:
        out["1"] = figure_calls(label, secrets, base_url, ids, args.calls, args.rounds,
                                plain_counts("1", "loops"))
    if "2" in figures:
        out["2"] = figure_processes(label, "fetch", secrets, spawner, base_url, ids, args.process_rounds,
                                    ca_file, plain_counts("2", "configs"), failures)
    if "3" in figures:
        out["3"] = figure_processes(label, "get", secrets, spawner, base_url, ids, args.oneshot_rounds,
                                    ca_file, plain_counts("3", "configs"), failures)
    return out


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def load_average() -> str | None:
    """The 1/5/15-minute load averages, to tell a quiet run from one that shared the machine."""
    try:
        return " ".join(Path("/proc/loadavg").read_text(encoding="ascii").split()[:3])
    except OSError:
        return None


def connector_identity() -> dict[str, Any]:
    """Which odoo_connector was measured: its version, path and, in a git checkout, the commit."""
    import odoo_connector

    root = Path(odoo_connector.__file__).resolve().parent.parent
    described = None
    try:
        done = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"],
                              capture_output=True, text=True, check=False, timeout=10)
        described = done.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass
    return {"version": odoo_connector.__version__, "path": str(root), "git": described}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer calls and rounds (about 1-2 minutes)")
    tls = parser.add_mutually_exclusive_group()
    tls.add_argument("--tls", action="store_true", help="the HTTPS pass (ODOO_TLS_URL) only")
    tls.add_argument("--no-tls", action="store_true", help="the plain HTTP pass (ODOO_URL) only")
    parser.add_argument("--figures", default="123", help="which figures to run, e.g. 13 (default 123)")
    parser.add_argument("--calls", type=int, help="figure 1: calls per loop per round (default 25, quick 10)")
    parser.add_argument("--rounds", type=int, help="figure 1: rounds (default 7, quick 3)")
    args = parser.parse_args()
    args.calls = args.calls or (10 if args.quick else 25)
    args.rounds = args.rounds or (3 if args.quick else 7)
    args.process_rounds = 3 if args.quick else 5
    args.oneshot_rounds = 3 if args.quick else 7

    env = dict(os.environ)
    missing = [name for name in REQUIRED if not env.get(name)]
    if missing:
        print("readme_path.py: skipped: it needs a real Odoo 19 with the crm.lead records bench-lead-*; "
              f"set {', '.join(missing)} (and ODOO_TLS_URL with ODOO_TLS_CA or SSL_CERT_FILE for the "
              "TLS pass).")
        emit_json("readme_path", {"skipped": "no real Odoo configured"})
        return
    if not CLI.exists():
        raise SystemExit(f"{CLI} not found: install the package (pip install -e '.[bench]') first")
    tls_url = env.get("ODOO_TLS_URL")
    # ODOO_TLS_CA first: SSL_CERT_FILE may already name the system bundle
    ca_file = env.get("ODOO_TLS_CA") or env.get("SSL_CERT_FILE")
    passes: list[tuple[str, str, str | None]] = []
    if not args.tls:
        passes.append(("HTTP", env["ODOO_URL"], None))
    if not args.no_tls:
        if tls_url:
            passes.append(("HTTPS", tls_url, ca_file))
        elif args.tls:
            raise SystemExit("--tls: ODOO_TLS_URL is not set")
        else:
            print("HTTPS pass: skipped (ODOO_TLS_URL is not set).")
    ident = connector_identity()
    print(f"odoo_connector {ident['version']} from {ident['path']} (git {ident['git'] or '-'}); "
          f"figures {args.figures}; goals: 1. wall/xmlrpc.client <= {GOAL_CALL['odooApiKey']} (JSON-2), "
          f"<= {GOAL_CALL['odooBasicAuth']} (XML-RPC); 2. wall <= {GOAL_FETCH_WALL}x and CPU <= "
          f"{GOAL_FETCH_CPU}x OdooRPC; 3. CPU <= {GOAL_ONESHOT_CPU_S} s and peak RSS <= "
          f"{GOAL_ONESHOT_RSS_MIB:g} MiB")
    try:
        import odoorpc
        print(f"OdooRPC {odoorpc.__version__}")
    except ImportError:
        print("OdooRPC: not installed, its rows are skipped "
              "(pip install 'odoo-connector[bench]' to include it).")
    # a SIGTERM unwinds like Ctrl-C, so the finally below still removes the connection files
    signal.signal(signal.SIGTERM, _terminate)
    secrets = Secrets(env)
    spawner = Spawner()
    failures: list[str] = []
    out: dict[str, Any] = {"connector": ident, "goals": {
        "call_ratio": GOAL_CALL, "fetch_wall_ratio": GOAL_FETCH_WALL, "fetch_cpu_ratio": GOAL_FETCH_CPU,
        "oneshot_cpu_s": GOAL_ONESHOT_CPU_S, "oneshot_rss_mib": GOAL_ONESHOT_RSS_MIB},
        "requests_counted_by": "counting TCP proxy on 127.0.0.1 (separate untimed run)", "passes": {}}
    start = time.perf_counter()
    out["load_average_start"] = load_average()
    saved_ca = os.environ.get("SSL_CERT_FILE")
    try:
        plain = None
        for label, url, ca in passes:
            if ca:
                os.environ["SSL_CERT_FILE"] = ca  # this process's clients: httpx and ssl read it
            out["passes"][label] = run_pass(label, url.rstrip("/"), ca, secrets, spawner, args,
                                            set(args.figures), plain, failures)
            if label == "HTTP":
                plain = out["passes"][label]
    finally:
        if saved_ca is None:
            os.environ.pop("SSL_CERT_FILE", None)
        else:
            os.environ["SSL_CERT_FILE"] = saved_ca
        spawner.close()
        secrets.cleanup()
    out["seconds"] = time.perf_counter() - start
    out["load_average_end"] = load_average()
    out["failures"] = failures
    print(f"\n({out['seconds']:.0f} s; load average {out['load_average_start']} at the start, "
          f"{out['load_average_end']} at the end: other work on the machine moves the wall figures)")
    emit_json("readme_path", out)
    if failures:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
