"""A period's tickets and assignments as one CSV file: one row per assignment, the ticket's columns
first (a ticket never forwarded has one row with the assignment's columns empty). UTF-8 with a
byte-order mark, so Excel opens the Vietnamese right; dates dd/mm/yyyy HH:mm in the site's zone."""
from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from db.queries.exports import ExportBatch
from exports.period_table import ASSIGNMENT_COLUMNS, TICKET_COLUMNS, Names, assignment_values, headers, \
    ticket_values

_RISKY = ("=", "@", "\t", "\r")


def cell(value: Any) -> str:
    """A value as CSV text. Text a spreadsheet would run as a formula gets a leading apostrophe
    (a phone number such as +84905... stays as it is)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, bool):
        return "1" if value else "0"
    text = str(value)
    if text.startswith(_RISKY) or (text[:1] in ("+", "-") and not text[1:].replace(" ", "").isdigit()):
        return "'" + text
    return text


def write(path: Path, batches: Iterable[ExportBatch], names: Names, tz: str,
          progress: Callable[[int], None] = lambda n: None) -> int:
    """Write the CSV to `path`; `progress(tickets written so far)` after each batch. Returns how
    many tickets were written."""
    done = 0
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(headers(TICKET_COLUMNS, names) + headers(ASSIGNMENT_COLUMNS[1:], names))
        blank = [""] * (len(ASSIGNMENT_COLUMNS) - 1)
        for batch in batches:
            by_ticket: dict[str, list[list[Any]]] = {}
            for a in batch.assignments:
                by_ticket.setdefault(a.ticket, []).append(assignment_values(a, names, tz)[1:])
            for t in batch.tickets:
                row = [cell(v) for v in ticket_values(t, names, tz)]
                for values in by_ticket.get(t.code) or [blank]:
                    out.writerow(row + [cell(v) for v in values])
            done += len(batch.tickets)
            progress(done)
    return done
