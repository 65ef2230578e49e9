"""exportRecords: records as a CSV or Excel file, built from reads, one page in memory at a time.

Odoo's own ``export_data`` needs the group Export / Allowed, which ordinary users lack, so the
file is built here from ``search_read`` pages (:func:`.records.iter_records`). A related path such as
``partner_id.country_id.code`` is resolved per block of rows: one ``read`` per related model and
level, for the ids the block holds, never one per row. Columns are titled with the fields'
labels as ``fields_get`` gives them in the call's language, joined by ``/`` along a path as Odoo's
export dialog does; values are those of ``format: friendly``, written as a spreadsheet shows them.

The bytes go to a sink: the CLI's ``--output`` file (:func:`writing_to`), or else a buffer capped
at ``maxBytes`` that becomes the base64 ``content`` of the answer.
"""

from __future__ import annotations

import base64
import codecs
import csv
import difflib
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from itertools import islice
from typing import IO, Any

from ..client import OdooClient
from ..errors import InputError, require_extra
from .records import default_fields, iter_records

__all__ = ["export_records", "writing_to"]

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
# Rows whose related paths are resolved together: one `read` per related model per block.
_BLOCK = 2000
_RELATIONAL = frozenset({"many2one", "one2many", "many2many"})
# Cells a spreadsheet would take for a formula (CSV injection): written as text instead.
_FORMULA_START = ("=", "+", "-", "@")
# Characters an xlsx file cannot hold (XML 1.0 forbids them); dropped from Excel cells only.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

_target: ContextVar[IO[bytes] | None] = ContextVar("odoo_connector_export_target", default=None)


@contextmanager
def writing_to(handle: IO[bytes]) -> Iterator[None]:
    """Makes an exportRecords run inside this block write its file to ``handle`` (the CLI's
    ``--output``) instead of answering with base64: nothing is held in memory beyond a page, and
    ``maxBytes`` does not apply."""
    token = _target.set(handle)
    try:
        yield
    finally:
        _target.reset(token)


@dataclass(frozen=True)
class _Column:
    path: tuple[str, ...]  # field names from the exported model, as read (an x2many ends in display_name)
    label: str
    kinds: tuple[str, ...]  # each name's type along the path
    models: tuple[str, ...]  # the model each name belongs to


def export_records(client: OdooClient, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The file, with how many rows it holds; ``content`` (base64) unless :func:`writing_to`
    named a file. Fields, paths and the format's extra are checked before any record is read."""
    model: str = inputs["model"]
    kind: str = inputs.get("format") or "csv"
    if kind == "xlsx":
        require_extra("xlsx", ("openpyxl",), "exportRecords format xlsx")
    columns = _columns(client, model, inputs.get("fields") or default_fields(client, model))
    target = _target.get()
    limit = int(inputs.get("maxBytes") or DEFAULT_MAX_BYTES)
    sink: IO[bytes] = target if target is not None else _CappedBuffer(limit)
    rows = _records(client, model, inputs, columns)
    titles = [column.label for column in columns]
    if kind == "xlsx":
        count = _write_xlsx(sink, model, titles, rows)
    else:
        count = _write_csv(sink, titles, rows, excel=bool(inputs.get("csvForExcel")))
    name = f"{model.replace('.', '_')}.{kind}"
    data: dict[str, Any] = {"fileName": name, "mimeType": _MIME[kind], "rows": count, "size": sink.tell()}
    if isinstance(sink, _CappedBuffer):
        data["content"] = base64.b64encode(sink.getbuffer()).decode("ascii")
    return data


class _CappedBuffer(io.BytesIO):
    """An in-memory file that refuses to grow past ``maxBytes``: the export stops reading pages
    as soon as the file would not fit in the answer."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def write(self, data: Any) -> int:
        if self.tell() + len(data) > self.limit:
            raise InputError(
                f"The export is larger than maxBytes ({self.limit} bytes), the most this step "
                "returns as base64.",
                path="maxBytes",
                hint="Write it to a file instead: `odoo-connector run exportRecords --input … "
                "--output FILE` streams any size. Or raise maxBytes, or narrow the domain or fields.",
            )
        return super().write(data)


def _columns(client: OdooClient, model: str, paths: Sequence[str]) -> list[_Column]:
    """Each path checked against ``fields_get`` along its relations, before anything is read."""
    columns = []
    for index, dotted in enumerate(paths):
        names: list[str] = []
        labels: list[str] = []
        kinds: list[str] = []
        models: list[str] = []
        current = model
        parts = dotted.split(".")
        for depth, name in enumerate(parts):
            fields = client.fields_get(current)
            spec = fields.get(name)
            if spec is None:
                close = difflib.get_close_matches(name, list(fields), n=3, cutoff=0.6)
                known = f" Did you mean {', '.join(close)}?" if close else ""
                raise InputError(
                    f"{current} has no field {name!r} (in {dotted!r}).{known}",
                    path=f"fields[{index}]",
                    hint="listModelFields lists a model's fields; a path follows relations with dots, "
                    "e.g. partner_id.country_id.code.",
                )
            kind = str(spec.get("type"))
            names.append(name)
            models.append(current)
            labels.append(str(spec.get("string") or name))
            kinds.append(kind)
            last = depth == len(parts) - 1
            if not last and kind not in _RELATIONAL:
                raise InputError(
                    f"{current}.{name} is a {kind} field, not a relation, so {dotted!r} cannot go past it.",
                    path=f"fields[{index}]",
                    hint="Only many2one, one2many and many2many fields lead to another model's fields.",
                )
            if kind in _RELATIONAL:
                current = str(spec["relation"])
            if last and kind in ("one2many", "many2many"):
                names.append("display_name")  # the lines' names, joined
                kinds.append("char")
                models.append(current)
        columns.append(_Column(tuple(names), "/".join(labels), tuple(kinds), tuple(models)))
    return columns


def _records(
    client: OdooClient, model: str, inputs: Mapping[str, Any], columns: list[_Column]
) -> Iterator[list[Any]]:
    """One list of cell values per record, in the order asked for."""
    heads = list(dict.fromkeys(column.path[0] for column in columns))
    records = iter_records(
        client, model, domain=inputs.get("domain", []), fields=heads, order=inputs.get("order")
    )
    cells = [_reader(column) for column in columns]
    while block := list(islice(records, _BLOCK)):
        related = _read_related(client, model, block, columns)
        for record in block:
            yield [cell(record, related) for cell in cells]


_Related = Mapping[str, Mapping[int, Mapping[str, Any]]]


def _reader(column: _Column) -> Any:
    """``(record, related) -> cell`` for one column; a field of the record itself (most columns)
    skips the walk along a path, which is most of the time spent per row."""
    if len(column.path) > 1:
        return lambda record, related: _cell(_values(record, column, related), column)
    name, kind = column.path[0], column.kinds[0]
    return lambda record, related: _friendly(record.get(name, False), kind)


def _read_related(
    client: OdooClient, model: str, block: list[dict[str, Any]], columns: list[_Column]
) -> dict[str, dict[int, dict[str, Any]]]:
    """The related records a block's paths reach, by model and id: level by level, one ``read``
    per model and level with every id and field the block needs there."""
    related: dict[str, dict[int, dict[str, Any]]] = {}
    # (records reached so far, their model, what remains of each path from there)
    level: list[tuple[list[dict[str, Any]], str, list[tuple[str, ...]]]] = [
        (block, model, [column.path for column in columns])
    ]
    while level:
        wanted: dict[str, tuple[set[int], set[str]]] = {}
        following: list[tuple[list[int], str, list[tuple[str, ...]]]] = []
        for records, current, paths in level:
            fields = client.fields_get(current)
            by_head: dict[str, list[tuple[str, ...]]] = {}
            for path in paths:
                if len(path) > 1:
                    by_head.setdefault(path[0], []).append(path[1:])
            for head, rests in by_head.items():
                relation, kind = str(fields[head]["relation"]), str(fields[head]["type"])
                ids = [i for record in records for i in _ids(record.get(head), kind)]
                ids_wanted, fields_wanted = wanted.setdefault(relation, (set(), set()))
                ids_wanted.update(ids)
                fields_wanted.update(rest[0] for rest in rests)
                following.append((ids, relation, rests))
        for relation, (needed, names) in wanted.items():
            known = related.setdefault(relation, {})
            missing = sorted(i for i in needed if i not in known or not names <= known[i].keys())
            if missing:
                for row in client.call(relation, "read", missing, fields=sorted(names)):
                    known.setdefault(row["id"], {}).update(row)
        level = [
            ([related[relation][i] for i in ids if i in related[relation]], relation, rests)
            for ids, relation, rests in following
        ]
    return related


def _ids(value: Any, kind: str) -> list[int]:
    """The ids a relational value holds: ``[id, name]`` for a many2one, a list of ids otherwise."""
    if not value:
        return []
    if kind == "many2one":
        return [int(value[0])]
    return [int(i) for i in value]


def _values(record: Mapping[str, Any], column: _Column, related: _Related) -> list[Any]:
    """The values at the end of ``column``'s path from ``record``: one for a plain field, any
    number through one2many or many2many fields (or none through an empty relation)."""
    reached: list[Mapping[str, Any]] = [record]
    for depth, name in enumerate(column.path[:-1]):
        rows = related.get(column.models[depth + 1], {})
        kind = column.kinds[depth]
        reached = [rows[i] for row in reached for i in _ids(row.get(name), kind) if i in rows]
    return [row.get(column.path[-1], False) for row in reached]


def _cell(values: list[Any], column: _Column) -> Any:
    """One cell, friendly: a many2one's name, a datetime in ISO 8601 UTC, an empty field empty
    (None), several values (through x2many fields) as their texts joined with ", "."""
    kind = column.kinds[-1]
    cells = [cell for value in values if (cell := _friendly(value, kind)) is not None]
    if any(kind in ("one2many", "many2many") for kind in column.kinds[:-1]):
        return ", ".join(str(cell) for cell in cells) or None
    return cells[0] if cells else None  # no value when a many2one on the way is empty


def _friendly(value: Any, kind: str) -> Any:
    if kind == "boolean":
        return bool(value)
    if value is False or value is None:
        return None
    if kind == "many2one" and isinstance(value, list) and len(value) == 2:
        return value[1]
    if kind == "datetime" and isinstance(value, str) and len(value) == 19 and value[10] == " ":
        return f"{value[:10]}T{value[11:]}Z"
    return value


def _guarded(value: str) -> bool:
    return value.startswith(_FORMULA_START)


def _write_csv(sink: IO[bytes], titles: list[str], rows: Iterator[list[Any]], *, excel: bool) -> int:
    """RFC 4180 (CRLF lines, quotes doubled), UTF-8; for Excel with a BOM and ``;``. A text cell
    that starts like a formula is prefixed with ``'`` so a spreadsheet shows it as text."""
    encoder = codecs.getincrementalencoder("utf-8-sig" if excel else "utf-8")()
    text = _EncodingWriter(sink, encoder)
    writer = csv.writer(text, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow([_csv_text(title) for title in titles])
    count = 0
    for row in rows:
        writer.writerow([_csv_text(cell) for cell in row])
        count += 1
    text.flush()
    return count


def _csv_text(cell: Any) -> str:
    if cell is None:
        return ""
    text = str(cell)
    return f"'{text}" if isinstance(cell, str) and _guarded(text) else text


class _EncodingWriter:
    """What ``csv.writer`` writes to, encoding each line straight into the binary sink."""

    def __init__(self, sink: IO[bytes], encoder: codecs.IncrementalEncoder) -> None:
        self.sink = sink
        self.encoder = encoder

    def write(self, text: str) -> int:
        self.sink.write(self.encoder.encode(text))
        return len(text)

    def flush(self) -> None:
        self.sink.write(self.encoder.encode("", final=True))
        self.sink.flush()


def _write_xlsx(sink: IO[bytes], model: str, titles: list[str], rows: Iterator[list[Any]]) -> int:
    """openpyxl in write-only mode: rows go to a temporary file as they come, and the workbook
    is zipped into ``sink`` at the end. Text is always a text cell (never a formula, whatever it
    starts with); numbers and booleans keep their type."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=model[:31])

    def cell(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = _XML_ILLEGAL.sub("", value)
        if not _guarded(text):
            return text
        written = WriteOnlyCell(sheet, value=text)
        written.data_type = "s"  # openpyxl would take "=…" for a formula
        return written

    sheet.append([cell(title) for title in titles])
    count = 0
    for row in rows:
        sheet.append([cell(value) for value in row])
        count += 1
    book.save(sink)
    return count
