"""Exports of the processing record: one ticket's log as a printable PDF, a period's tickets and
assignments as XLSX or CSV. Pure rendering over what `db.queries` returns."""
