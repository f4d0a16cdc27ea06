"""The site layer, at the bottom: typed settings, the site file's loader, the generated secrets.
It imports nothing of tongdai's own; every other package may import it."""
from config.reader import ConfigError
from config.settings import (
    ROOT, CallbackSettings, Emergency, Holidays, Paths, PbxSettings, Ports, Queue, ReportField, Seats,
    SecuritySettings, Site, Trunk, WebSettings)
from config.site_file import DEMO_SITE, WEEKDAYS, load_site, parse_hours

__all__ = ["ROOT", "DEMO_SITE", "WEEKDAYS", "CallbackSettings", "ConfigError", "Emergency", "Holidays", "Paths",
           "PbxSettings", "Ports", "Queue", "ReportField", "Seats", "SecuritySettings", "Site", "Trunk",
           "WebSettings", "load_site", "parse_hours"]
