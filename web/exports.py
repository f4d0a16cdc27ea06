"""Exports of the processing record (issue 16): a ticket's log as PDF, a period as XLSX/CSV."""
from __future__ import annotations

from aiohttp import web


def routes() -> list[web.RouteDef]:
    return []
