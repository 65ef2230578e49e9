"""Attachments memory: a 20 MB file round-tripped through uploadAttachment and downloadAttachment
against the real Odoo, on both connections, with each step's peak memory as a multiple of the
file size.

Every step runs in its own subprocess, so one step's heap never inflates another's peak; the peak
resident set (VmHWM, or ``wait4``'s ``ru_maxrss`` for the CLI) is read per process:

* ``upload``    the file's base64 text is built (the platform hands it over like that), then
                ``invoke("uploadAttachment")``. Reported: the peak above the process before the
                text existed (what the whole step costs) and above the process holding the text
                (what the connector adds to its input).
* ``download``  ``invoke("downloadAttachment")``, whose result holds the base64 text (1.33 x the
                file): the peak above the warm process.
* ``cli``       ``odoo-connector run downloadAttachment --output FILE``: the whole CLI process's
                peak, against the same CLI's peak for ``listAttachments`` (its fixed cost).

The bytes are random (incompressible), the checksum is compared end to end, and the partner and
attachment are deleted at the end. Needs ODOO_URL, ODOO_DB and ODOO_API_KEY / ODOO_USERNAME +
ODOO_PASSWORD (an ordinary user is enough); says so and skips without them. No target is
asserted; the figure to read is the multiple (lower is better; the base64 text alone is 1.33).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import emit_json, peak_rss_kib, print_table, real_connection, rss_kib

HERE = Path(__file__).resolve().parent
CLI = Path(sys.executable).with_name("odoo-connector")
MB = 1_000_000


def _child(step: str, conn: dict[str, Any], size: int, record_id: int, attachment_id: int) -> None:
    """One step in this process; prints its figures as one JSON line."""
    from odoo_connector import invoke, make_client, parse_connection

    client = make_client(parse_connection(conn))
    invoke("listAttachments", conn, {"model": "res.partner", "recordId": record_id}, client=client)  # warm
    before = rss_kib()
    start = time.perf_counter()
    if step == "upload":
        data = os.urandom(size)
        content = base64.b64encode(data).decode("ascii")
        checksum = hashlib.sha1(data, usedforsecurity=False).hexdigest()
        del data
        holding = rss_kib()
        start = time.perf_counter()
        result = invoke(
            "uploadAttachment",
            conn,
            {"model": "res.partner", "recordId": record_id, "fileName": "bench.bin", "content": content},
            client=client,
        )["data"]
        figures = {"id": result["id"], "checksum": checksum, "sameChecksum": result["checksum"] == checksum}
        figures["holdingKib"] = holding - before
    else:
        result = invoke("downloadAttachment", conn, {"attachmentId": attachment_id}, client=client)["data"]
        figures = {"checksum": result["checksum"], "size": result["size"]}
    seconds = time.perf_counter() - start
    client.close()
    print(json.dumps({**figures, "seconds": seconds, "beforeKib": before, "peakKib": peak_rss_kib()}))


def _run_child(
    step: str, conn: dict[str, Any], size: int, record_id: int, attachment_id: int = 0
) -> dict[str, Any]:
    args = [sys.executable, __file__, "--child", step, "--size", str(size), "--record", str(record_id)]
    args += ["--attachment", str(attachment_id)]
    done = subprocess.run(args, input=json.dumps(conn), capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{step} failed: {done.stderr.strip()[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _cli_peak(
    conn: dict[str, Any], key: str, inputs: dict[str, Any], output: Path | None
) -> tuple[int, float]:
    """The peak RSS (KiB) and wall time of one ``odoo-connector run`` process."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(conn, handle)
    argv = [str(CLI), "run", key, "--connection", handle.name, "--input", json.dumps(inputs), "--quiet"]
    if output is not None:
        argv += ["--output", str(output)]
    try:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise SystemExit(
                f"{key} failed: {process.stderr.read().decode()[-2000:] if process.stderr else ''}"
            )
        return int(usage.ru_maxrss), seconds
    finally:
        os.unlink(handle.name)


def _one_connection(kind: str, size: int) -> dict[str, Any]:
    from odoo_connector import invoke

    conn = real_connection(kind)
    assert conn is not None
    partner = invoke(
        "createRecord", conn, {"model": "res.partner", "parameters": {"name": "bench-attachments"}}
    )
    record_id = int(partner["data"])
    try:
        up = _run_child("upload", conn, size, record_id)
        down = _run_child("download", conn, size, record_id, up["id"])
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "bench.bin"
            cli_base, _ = _cli_peak(
                conn, "listAttachments", {"model": "res.partner", "recordId": record_id}, None
            )
            cli_peak, cli_seconds = _cli_peak(conn, "downloadAttachment", {"attachmentId": up["id"]}, target)
            written = hashlib.sha1(target.read_bytes(), usedforsecurity=False).hexdigest()
        invoke("deleteRecordById", conn, {"model": "ir.attachment", "recordId": up["id"]})
    finally:
        invoke("deleteRecordById", conn, {"model": "res.partner", "recordId": record_id})
    kib = size / 1024
    return {
        "connection": kind,
        "intact": up["sameChecksum"] and down["checksum"] == up["checksum"] and written == up["checksum"],
        "uploadSeconds": round(up["seconds"], 2),
        "uploadPeakX": round((up["peakKib"] - up["beforeKib"]) / kib, 2),
        "uploadBeyondInputX": round((up["peakKib"] - up["beforeKib"] - up["holdingKib"]) / kib, 2),
        "downloadSeconds": round(down["seconds"], 2),
        "downloadPeakX": round((down["peakKib"] - down["beforeKib"]) / kib, 2),
        "cliOutputSeconds": round(cli_seconds, 2),
        "cliOutputPeakX": round((cli_peak - cli_base) / kib, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", type=int, default=20 * MB, help="file size in bytes (default 20 MB)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--record", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--attachment", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, json.loads(sys.stdin.read()), args.size, args.record, args.attachment)
        return
    kinds = [k for k in ("odooApiKey", "odooBasicAuth") if real_connection(k)]
    if not kinds:
        print("attachments.py: no real Odoo (set ODOO_URL, ODOO_DB and credentials); skipped.")
        emit_json("attachments", {"skipped": "no real Odoo"})
        return
    rows = [_one_connection(kind, args.size) for kind in kinds]
    print_table(
        f"Round trip of a {args.size / MB:g} MB file (peak RSS growth as a multiple of the file size)",
        [
            "connection",
            "intact",
            "upload s",
            "upload x",
            "beyond input x",
            "download s",
            "download x",
            "CLI --output s",
            "CLI --output x",
        ],
        [
            [
                r["connection"],
                r["intact"],
                r["uploadSeconds"],
                r["uploadPeakX"],
                r["uploadBeyondInputX"],
                r["downloadSeconds"],
                r["downloadPeakX"],
                r["cliOutputSeconds"],
                r["cliOutputPeakX"],
            ]
            for r in rows
        ],
    )
    emit_json("attachments", {"sizeBytes": args.size, "rows": rows})


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
