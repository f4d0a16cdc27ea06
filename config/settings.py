"""The site's typed settings: frozen dataclasses, filled and validated by `config.site_file`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from config.agency_settings import AgencySettings
from config.notify_settings import NotifySettings

ROOT = Path(__file__).resolve().parent.parent
DAEMON_USER = "tongdai-asterisk"  # the host account Asterisk runs as (tongdai.daemon_user creates it)


@dataclass(frozen=True)
class Trunk:
    name: str
    host: str
    port: int
    channels: int


@dataclass(frozen=True)
class Seats:
    count: int
    first_extension: int

    @property
    def extensions(self) -> tuple[int, ...]:
        return tuple(range(self.first_extension, self.first_extension + self.count))


@dataclass(frozen=True)
class Ports:
    bind: str
    sip: int
    ami: int
    agi: int
    web: int
    rtp_start: int
    rtp_end: int
    public: int = 8090  # the citizens' portal and Open311 (issue 17)
    public_bind: str = ""  # its own address ("" = `bind`): it may face the province's reverse proxy

    @property
    def public_address(self) -> str:
        return self.public_bind or self.bind


@dataclass(frozen=True)
class Emergency:
    mode: str  # "transfer" dials the service over the trunk, "guide" tells the number
    police: str
    fire: str
    ambulance: str

    @property
    def numbers(self) -> dict[str, str]:
        return {"police": self.police, "fire": self.fire, "ambulance": self.ambulance}


@dataclass(frozen=True)
class ReportField:
    key: str
    vi: str
    en: str


@dataclass(frozen=True)
class Label:
    """A code of the site's data with its display names (an area, an outcome)."""
    key: str
    vi: str
    en: str


@dataclass(frozen=True)
class Queue:
    name: str
    strategy: str
    fields: tuple[str, ...]
    max_wait: int
    wrapup: int
    ring_timeout: int = 15
    vi: str = ""  # display names; the loader fills them (from the file, or the name)
    en: str = ""


ENTRY_FIELDS = ("caller_name", "address", "area", "field", "summary")  # what [desk.required] may name


@dataclass(frozen=True)
class DeskSettings:
    """The agent desk: the outcome (disposition) list, whether one is needed before Ready, the
    fields a save needs per ticket kind, and the status a ticket gets when its answered call ends."""
    outcomes: tuple[Label, ...] = ()
    outcome_required: bool = False
    required: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (kind, fields) pairs
    status_after_call: tuple[tuple[str, str], ...] = (("report", "open"),)  # (kind, case status); others: closed

    def required_for(self, kind: str | None) -> tuple[str, ...]:
        return dict(self.required).get(kind or "", ())

    def status_for(self, kind: str | None) -> str:
        return dict(self.status_after_call).get(kind or "", "closed")


@dataclass(frozen=True)
class WallboardSettings:
    """Where the room's wallboard turns amber and red (at or beyond the figure)."""
    waiting_amber: int = 3
    waiting_red: int = 6
    wait_amber_s: int = 60
    wait_red_s: int = 120
    service_level_amber: float = 0.8  # below this fraction answered within the SL target
    service_level_red: float = 0.6
    abandoned_amber: float = 0.05  # at or above this fraction of offered calls
    abandoned_red: float = 0.1


@dataclass(frozen=True)
class Holidays:
    country: str
    extra: tuple[str, ...]  # ISO dates the office is closed besides the national holidays


@dataclass(frozen=True)
class Paths:
    data: Path
    recordings: Path
    spool: Path
    sounds: Path
    asterisk: Path  # rendered config and Asterisk's run/log/db dirs
    secrets: Path
    database_url: str


@dataclass(frozen=True)
class CallbackSettings:
    attempts: int  # tries before a callback is closed as unreachable
    retry_minutes: int
    window: tuple[int, int]  # minutes of the day when citizens may be called
    ring_timeout: int  # seconds the citizen's phone rings
    offer_after_s: int = 120  # offer "press 1 to be called back" beyond this wait or with no agent; 0: never
    auto: bool = True  # the engine dials due callbacks itself as agents become free


@dataclass(frozen=True)
class PbxSettings:
    cache_dir: Path  # where the Debian sid chroot lives when no system Asterisk exists
    verbose: int
    baseline_number: str = ""  # benchmark only: a number that goes straight to the plain-dialplan menu
    # Asterisk's own limits (asterisk.conf): past them a new call is refused with a clean 503
    # instead of being half set up. 0 = 2 channels per trunk channel (the caller's and an agent's
    # or transfer's leg) plus 50 for staff phones; max_load 0 = no load-average limit.
    max_calls: int = 0
    max_load: float = 0.0

    def channel_limit(self, trunk_channels: int) -> int:
        return self.max_calls or 2 * trunk_channels + 50


@dataclass(frozen=True)
class SecuritySettings:
    ban_after: int = 5  # failed SIP/AMI authentications from one address ...
    window_s: int = 300  # ... within this many seconds ban it
    ban_minutes: int = 60
    allow: tuple[str, ...] = ()  # addresses never banned (loopback and the trunk never are)


@dataclass(frozen=True)
class WebSettings:
    behind_tls_proxy: bool = False  # the console is reached through a TLS proxy: cookies are Secure
    proxy: str = "127.0.0.1"  # the one address whose X-Forwarded-Proto is believed


@dataclass(frozen=True)
class PublicSettings:
    """The public portal (`[public]`): how long its figures are kept before they are computed again,
    the reverse proxy whose X-Forwarded-For is believed ("" = none: the peer's address counts), and
    the address citizens reach it at (links in SMS and Open311 answers); and how long after a case
    is resolved it appears on the public list (the supervisors' time to hide or redact it)."""
    cache_seconds: int = 300
    proxy: str = ""
    base_url: str = ""
    publish_after_hours: int = 24


@dataclass(frozen=True)
class Site:
    file: Path
    name: str
    province: str
    hotline: str
    timezone: str
    trunk: Trunk
    agents: Seats
    supervisors: Seats
    hours: tuple[tuple[int, int] | None, ...]  # per weekday Mon..Sun: (open, close) minutes
    holidays: Holidays
    fields: tuple[ReportField, ...]
    queues: tuple[Queue, ...]
    emergency: Emergency
    ports: Ports
    paths: Paths
    pbx: PbxSettings
    ivr_file: Path = ROOT / "sites" / "demo-ivr.toml"
    menu_retries: int = 3
    retention_days: int = 365
    callbacks: CallbackSettings = CallbackSettings(3, 30, (450, 1200), 30)
    security: SecuritySettings = SecuritySettings()
    web: WebSettings = WebSettings()
    areas: tuple[Label, ...] = ()  # wards / districts the desk offers (and routing uses)
    desk: DeskSettings = DeskSettings()
    wallboard: WallboardSettings = WallboardSettings()
    agencies: AgencySettings = AgencySettings()  # config.agencies_file
    notify: NotifySettings = NotifySettings()  # config.notify_file
    public: PublicSettings = PublicSettings()

    def queue_for(self, field: str) -> str:
        """The queue that takes reports of `field` (the operator's when none names it)."""
        return next((q.name for q in self.queues if field in q.fields), "operator")
