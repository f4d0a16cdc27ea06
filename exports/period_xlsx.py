"""A period's tickets and assignments as an XLSX workbook: two sheets, real Excel dates in the
site's zone, streamed row by row (openpyxl's write-only mode keeps each sheet in its own temporary
file), so memory stays bounded however long the period."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from db.queries.exports import ExportBatch
from exports.period_table import ASSIGNMENT_COLUMNS, TICKET_COLUMNS, Names, assignment_values, headers, \
    ticket_values

DATE_FORMAT = "dd/mm/yyyy hh:mm"
MAX_TEXT = 32767  # the most characters an Excel cell holds


def _sheet(wb: Any, title: str, columns: tuple[tuple[str, int], ...], names: Names) -> Any:
    ws = wb.create_sheet(title[:31])  # Excel's limit on a sheet's name
    for i, (_, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    cells = []
    for text in headers(columns, names):
        cell = WriteOnlyCell(ws, text)
        cell.font = bold
        cells.append(cell)
    ws.append(cells)
    return ws


def _cells(ws: Any, values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, datetime):
            cell = WriteOnlyCell(ws, value)
            cell.number_format = DATE_FORMAT
        elif isinstance(value, str):
            # what citizens and staff typed is text, never a formula ("=HYPERLINK(...)" stays words)
            cell = WriteOnlyCell(ws, ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_TEXT])
            cell.data_type = "s"
        else:
            cell = value
        out.append(cell)
    return out


def write(path: Path, batches: Iterable[ExportBatch], names: Names, tz: str,
          progress: Callable[[int], None] = lambda n: None) -> int:
    """Write the workbook to `path`; `progress(tickets written so far)` after each batch. Returns
    how many tickets were written."""
    wb = Workbook(write_only=True)
    tickets = _sheet(wb, names.get("export.sheet.tickets", "tickets"), TICKET_COLUMNS, names)
    assignments = _sheet(wb, names.get("export.sheet.assignments", "assignments"), ASSIGNMENT_COLUMNS, names)
    done = 0
    for batch in batches:
        for t in batch.tickets:
            tickets.append(_cells(tickets, ticket_values(t, names, tz)))
        for a in batch.assignments:
            assignments.append(_cells(assignments, assignment_values(a, names, tz)))
        done += len(batch.tickets)
        progress(done)
    wb.save(path)
    return done
