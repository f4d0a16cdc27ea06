"""The site file (`sites/<name>.toml`) loaded into frozen dataclasses.

Every bad value raises one `ConfigError` naming the file and the dotted key, e.g.
``sites/demo.toml: trunk.channels: must be an integer from 1 to 2000, got 'many'``.
Relative paths in `[paths]` are taken relative to the site file's own directory.
"""
from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

import holidays as holidays_lib

from config.agencies_file import read_agencies
from config.console_file import read_desk, read_labels, read_wallboard
from config.notify_file import read_notify
from config.reader import ConfigError, Table, between, matches
from config.settings import (  # noqa: F401 (other modules take the types from here)
    ROOT, CallbackSettings, Emergency, Holidays, Paths, PbxSettings, Ports, Queue, ReportField, Seats,
    PublicSettings, SecuritySettings, Site, Trunk, WebSettings)

DEMO_SITE = ROOT / "sites" / "demo.toml"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_FIELDS = (
    ("traffic", "Giao thông", "Traffic"),
    ("water", "Cấp nước", "Water supply"),
    ("drainage", "Thoát nước", "Drainage"),
    ("trees", "Cây xanh", "Trees"),
    ("lighting", "Chiếu sáng công cộng", "Public lighting"),
    ("electricity", "Điện", "Electricity"),
    ("telecom", "Viễn thông", "Telecom"),
    ("transport", "Giao thông công cộng", "Public transport"),
    ("environment", "Môi trường", "Environment"),
    ("urban_order", "Trật tự đô thị", "Urban order"),
    ("admin", "Thủ tục hành chính", "Administrative procedures"),
)
QUEUE_NAMES = {"operator": ("Tổng đài viên", "Operator"), "admin": ("Thủ tục hành chính", "Administrative procedures"),
               "incidents": ("Sự cố", "Incidents")}  # display names of the default queues
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_DIGITS = re.compile(r"^[0-9]{2,15}$")
_HOURS = re.compile(r"^([0-2][0-9]):([0-5][0-9])-([0-2][0-9]):([0-5][0-9])$")


def parse_hours(text: str) -> tuple[int, int] | None | str:
    """'07:30-17:30' -> (450, 1050); 'closed' -> None; otherwise an error message."""
    if text == "closed":
        return None
    m = _HOURS.match(text)
    if not m:
        return 'must be "HH:MM-HH:MM" or "closed"'
    h1, m1, h2, m2 = map(int, m.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or h2 > 24 or end > 24 * 60 or start >= end:
        return "must be an opening time before a closing time within 00:00-24:00"
    return (start, end)


def _read_hours(t: Table) -> tuple[tuple[int, int] | None, ...]:
    out = []
    for day in WEEKDAYS:
        text = t.get(day, str, "07:30-17:30")
        parsed = parse_hours(text)
        if isinstance(parsed, str):
            raise t.fail(day, f"{parsed}, got {text!r}")
        out.append(parsed)
    t.done()
    return tuple(out)


def _read_seats(t: Table, count: int, first: int) -> Seats:
    seats = Seats(t.get("count", int, count, between(0, 100)),
                  t.get("first_extension", int, first, between(100, 9899)))
    t.done()
    return seats


def _read_fields(file: Path, items: Any) -> tuple[ReportField, ...]:
    if items is None:
        return tuple(ReportField(*f) for f in DEFAULT_FIELDS)
    if not isinstance(items, list) or not items:
        raise ConfigError(file, "fields", "must be a non-empty array of tables")
    out, keys = [], set()
    for i, item in enumerate(items):
        t = Table(file, item if isinstance(item, dict) else {}, f"fields[{i}].")
        f = ReportField(t.get("key", str, check=matches(_NAME, "a lower-case name")),
                        t.get("vi", str), t.get("en", str))
        t.done()
        if f.key in keys:
            raise t.fail("key", f"duplicate field {f.key!r}")
        keys.add(f.key)
        out.append(f)
    return tuple(out)


def _read_queues(file: Path, items: Any, fields: tuple[ReportField, ...]) -> tuple[Queue, ...]:
    if items is None:
        items = [{"name": "operator"},
                 {"name": "admin", "fields": ["admin"]},
                 {"name": "incidents", "fields": [f.key for f in fields if f.key != "admin"]}]
    if not isinstance(items, list) or not items:
        raise ConfigError(file, "queues", "must be a non-empty array of tables")
    known, out = {f.key for f in fields}, []
    for i, item in enumerate(items):
        t = Table(file, item if isinstance(item, dict) else {}, f"queues[{i}].")
        name = t.get("name", str, check=matches(_NAME, "a lower-case name"))
        known_vi, known_en = QUEUE_NAMES.get(name, (..., ...))
        q = Queue(
            name=name,
            strategy=t.get("strategy", str, "rrmemory", lambda v: None if v in (
                "ringall", "leastrecent", "fewestcalls", "random", "rrmemory", "linear", "wrandom", "rrordered")
                else "must be an app_queue strategy"),
            fields=tuple(t.get("fields", list, [])),
            max_wait=t.get("max_wait", int, 300, between(10, 3600)),
            wrapup=t.get("wrapup", int, 10, between(0, 600)),
            ring_timeout=t.get("ring_timeout", int, 15, between(3, 120)),
            vi=t.get("vi", str, known_vi), en=t.get("en", str, known_en),  # what people see
        )
        for f in q.fields:
            if not isinstance(f, str) or f not in known:
                raise t.fail("fields", f"unknown field {f!r}")
        t.done()
        out.append(q)
    if "operator" not in {q.name for q in out}:
        raise ConfigError(file, "queues", "must include a queue named 'operator'")
    return tuple(out)


def _path(base: Path, value: str) -> Path:
    return (base / os.path.expanduser(value)).resolve()


def load_site(file: str | Path | None = None) -> Site:
    """Load and validate a site file; `None` means `$TONGDAI_SITE` or the demo site."""
    path = Path(file or os.environ.get("TONGDAI_SITE") or DEMO_SITE).resolve()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, "-", "no such site file") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(path, "-", f"not valid TOML: {e}") from None
    return site_from_dict(path, data)


def site_from_dict(path: Path, data: dict[str, Any]) -> Site:
    top = Table(path, data)
    s = top.table("site")
    name = s.get("name", str, check=matches(_NAME, "a lower-case name"))
    province = s.get("province", str)
    hotline = s.get("hotline", str, "1022", matches(_DIGITS, "digits only"))
    timezone = s.get("timezone", str, "Asia/Ho_Chi_Minh")
    retries = s.get("menu_retries", int, 3, between(1, 9))
    ivr_file = _path(path.parent, s.get("ivr", str, str(ROOT / "sites" / "demo-ivr.toml")))
    s.done()

    t = top.table("trunk")
    trunk = Trunk(t.get("name", str, "trunk", matches(_NAME, "a lower-case name")),
                  t.get("host", str, "127.0.0.1"), t.get("port", int, 5070, between(1, 65535)),
                  t.get("channels", int, 180, between(1, 2000)))
    t.done()

    agents = _read_seats(top.table("agents"), 6, 101)
    supervisors = _read_seats(top.table("supervisors"), 2, 201)
    overlap = set(agents.extensions) & set(supervisors.extensions)
    if overlap:
        raise ConfigError(path, "supervisors.first_extension", f"overlaps agent extension {min(overlap)}")

    hours = _read_hours(top.table("hours"))

    h = top.table("holidays")
    hol = Holidays(h.get("country", str, "VN"), tuple(h.get("extra", list, [])))
    for i, day in enumerate(hol.extra):
        if not isinstance(day, str) or not re.match(r"^\d{4}-\d{2}-\d{2}$", day):
            raise ConfigError(path, f"holidays.extra[{i}]", f'must be a "YYYY-MM-DD" date, got {day!r}')
    if hol.country:
        if hol.country not in holidays_lib.list_supported_countries():
            raise ConfigError(path, "holidays.country",
                              f"unknown country code {hol.country!r} (e.g. \"VN\", or \"\" for none)")
    h.done()

    top.seen.update({"fields", "queues", "areas"})
    fields = _read_fields(path, data.get("fields"))
    queues = _read_queues(path, data.get("queues"), fields)
    areas = read_labels(path, "areas", data.get("areas"), ())
    desk = read_desk(top, areas)
    wallboard = read_wallboard(top)
    agencies = read_agencies(top, path.parent, fields, areas)

    e = top.table("emergency")
    number = matches(re.compile(r"^[0-9]{3,6}$"), "a short emergency number")
    emergency = Emergency(
        e.get("mode", str, "transfer",
              lambda v: None if v in ("transfer", "guide") else 'must be "transfer" or "guide"'),
        e.get("police", str, "113", number), e.get("fire", str, "114", number), e.get("ambulance", str, "115", number))
    e.done()

    p = top.table("ports")
    port = between(1, 65535)
    ports = Ports(p.get("bind", str, "127.0.0.1"), p.get("sip", int, 5060, port), p.get("ami", int, 5038, port),
                  p.get("agi", int, 4573, port), p.get("web", int, 8080, port),
                  p.get("rtp_start", int, 10000, between(1024, 65534)),
                  p.get("rtp_end", int, 20000, between(1025, 65535)), p.get("public", int, 8090, port),
                  p.get("public_bind", str, "", lambda v: None if v == "" or re.fullmatch(r"[0-9.:a-fA-F]+", v)
                        else "must be an IP address (or empty: the same as ports.bind)"))
    if ports.rtp_end <= ports.rtp_start:
        raise p.fail("rtp_end", "must be above ports.rtp_start")
    used = [("sip", ports.sip), ("ami", ports.ami), ("agi", ports.agi), ("web", ports.web), ("public", ports.public)]
    for i, (k, v) in enumerate(used):
        for k2, v2 in used[:i]:
            if v == v2:
                raise p.fail(k, f"same port as ports.{k2} ({v})")
    p.done()

    d = top.table("paths")
    base = path.parent
    data_dir = _path(base, d.get("data", str, "../var"))
    paths = Paths(
        data=data_dir,
        recordings=_path(data_dir, d.get("recordings", str, "recordings")),
        spool=_path(data_dir, d.get("spool", str, "spool")),
        sounds=_path(data_dir, d.get("sounds", str, "sounds")),
        asterisk=_path(data_dir, d.get("asterisk", str, "asterisk")),
        secrets=_path(data_dir, d.get("secrets", str, "secrets.toml")),
        database_url=d.get("database_url", str, f"sqlite:///{data_dir / 'tongdai.db'}",
                           lambda v: None if "://" in v else "must be an SQLAlchemy URL"),
    )
    d.done()

    r = top.table("recordings")
    retention = r.get("retention_days", int, 365, between(1, 3650))
    r.done()

    c = top.table("callbacks")
    window_text = c.get("window", str, "07:30-20:00")
    window = parse_hours(window_text)
    if not isinstance(window, tuple):
        raise c.fail("window", f'must be "HH:MM-HH:MM", got {window_text!r}')
    callbacks = CallbackSettings(c.get("attempts", int, 3, between(1, 10)),
                                 c.get("retry_minutes", int, 30, between(1, 1440)), window,
                                 c.get("ring_timeout", int, 30, between(5, 120)),
                                 c.get("offer_after_s", int, 120, between(0, 3600)), c.get("auto", bool, True))
    c.done()

    x = top.table("pbx")
    pbx = PbxSettings(_path(base, x.get("cache_dir", str, "/var/cache/tongdai")),
                      x.get("verbose", int, 0, between(0, 10)),
                      x.get("baseline_number", str, "", lambda v: None if not v or _DIGITS.match(v) else
                            "must be digits (a number routed to the plain-dialplan menu, for benchmarks)"),
                      x.get("max_calls", int, 0, between(0, 20000)),
                      x.get("max_load", float, 0.0, lambda v: None if 0 <= v <= 1000 else "must be from 0 to 1000"))
    x.done()

    sec = top.table("security")
    allow = sec.get("allow", list, [])
    if not all(isinstance(a, str) and re.fullmatch(r"[0-9.:a-fA-F]+", a) for a in allow):
        raise sec.fail("allow", f"must be a list of IP addresses, got {allow!r}")
    security = SecuritySettings(sec.get("ban_after", int, 5, between(1, 1000)),
                                sec.get("window_s", int, 300, between(1, 86400)),
                                sec.get("ban_minutes", int, 60, between(1, 10080)), tuple(allow))
    sec.done()

    w = top.table("web")
    web = WebSettings(w.get("behind_tls_proxy", bool, False),
                      w.get("proxy", str, "127.0.0.1", lambda v: None if re.fullmatch(r"[0-9.:a-fA-F]+", v) else
                            "must be the TLS proxy's IP address"))
    w.done()
    notify = read_notify(top)
    pub = top.table("public")
    public = PublicSettings(pub.get("cache_seconds", int, 300, between(1, 86400)),
                            pub.get("proxy", str, "", lambda v: None if v == "" or re.fullmatch(r"[0-9.:a-fA-F]+", v)
                                    else "must be the reverse proxy's IP address (or empty)"),
                            pub.get("base_url", str, "", lambda v: None if v == "" or re.fullmatch(r"https?://\S+", v)
                                    else "must start with http:// or https://"),
                            pub.get("publish_after_hours", int, 24, between(0, 24 * 30)))
    pub.done()
    top.done()
    return Site(file=path, name=name, province=province, hotline=hotline, timezone=timezone, trunk=trunk,
                agents=agents, supervisors=supervisors, hours=hours, holidays=hol, fields=fields, queues=queues,
                emergency=emergency, ports=ports, paths=paths, pbx=pbx, ivr_file=ivr_file, menu_retries=retries,
                retention_days=retention, callbacks=callbacks, security=security, web=web, areas=areas, desk=desk,
                wallboard=wallboard, agencies=agencies, notify=notify, public=public)
