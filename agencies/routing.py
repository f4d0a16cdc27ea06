"""Which agency a report goes to: the site's routing rules first, then any agency that can take it.
Pure: settings in, agencies out (the agent still chooses; this only suggests)."""
from __future__ import annotations

from config.agency_settings import AgencyData, AgencySettings


def can_handle(agency: AgencyData, field: str, area: str | None) -> bool:
    """The agency handles `field` and covers `area` (an agency with no areas covers the whole
    province; a report with no area yet can only be sure of the field)."""
    return field in agency.fields and (not agency.areas or area is None or area in agency.areas)


def suggest(settings: AgencySettings, field: str, area: str | None) -> list[AgencyData]:
    """Agencies for a report, best first: the exact route for (field, area), then the "*" route
    for the field, then every other agency that handles the field in that area (by name)."""
    out: list[AgencyData] = []

    def add(key: str) -> None:
        a = settings.agency(key)
        if a is not None and a not in out and can_handle(a, field, area):
            out.append(a)

    for r in settings.routes:
        if r.field == field and area is not None and r.area == area:
            add(r.agency)
    for r in settings.routes:
        if r.field == field and r.area == "*":
            add(r.agency)
    for a in sorted(settings.agencies, key=lambda a: a.name):
        add(a.key)
    return out
