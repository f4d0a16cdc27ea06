"""The site's agencies: `[agencies]` in the site file (to be filled by issue 16's data work)."""
from __future__ import annotations

from pathlib import Path

from config.agency_settings import AgencySettings
from config.reader import Table
from config.settings import Label, ReportField


def read_agencies(top: Table, site_dir: Path, fields: tuple[ReportField, ...],
                  areas: tuple[Label, ...]) -> AgencySettings:
    t = top.table("agencies")
    t.done()
    return AgencySettings()
