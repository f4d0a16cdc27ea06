"""How the site sends notifications: `[mail]`, `[sms]` and `[notify]` in the site file (to be filled
by issue 16's notification work)."""
from __future__ import annotations

from config.notify_settings import NotifySettings
from config.reader import Table


def read_notify(top: Table) -> NotifySettings:
    for name in ("mail", "sms", "notify"):
        top.table(name).done()
    return NotifySettings()
