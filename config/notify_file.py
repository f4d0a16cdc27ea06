"""How the site sends notifications: `[mail]` (SMTP), `[sms]` (Kannel's HTTP sendsms interface) and
`[notify]` (the console's public address for links, and how failed sends are retried)."""
from __future__ import annotations

import re

from config.notify_settings import MailSettings, NotifySettings, SmsSettings
from config.reader import Table, between, matches

_HOST = re.compile(r"^([A-Za-z0-9.-]+|\[[0-9a-fA-F:.]+\])?$")  # a name or address; "" = not configured
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_URL = re.compile(r"^(https?://[^\s]+)?$")
_SENDER = re.compile(r"^[0-9A-Za-z ]{1,16}$")  # a short code or an alphanumeric sender name


def read_notify(top: Table) -> NotifySettings:
    m = top.table("mail")
    mail = MailSettings(
        host=m.get("host", str, "", matches(_HOST, 'a host name or address ("" sends no email)')),
        port=m.get("port", int, 25, between(1, 65535)),
        sender=m.get("sender", str, MailSettings.sender, matches(_EMAIL, "an email address")),
        starttls=m.get("starttls", bool, False),
        username=m.get("username", str, ""))
    m.done()

    s = top.table("sms")
    sms = SmsSettings(
        kannel_url=s.get("kannel_url", str, "", matches(_URL, 'Kannel\'s sendsms URL, http://... ("" sends no SMS)')),
        username=s.get("username", str, SmsSettings.username,
                       lambda v: None if v and not any(c.isspace() for c in v) else "must be a sendsms-user name"),
        sender=s.get("sender", str, SmsSettings.sender, matches(_SENDER, "a short code or a name of 1 to 16 letters")))
    s.done()

    n = top.table("notify")
    public_url = n.get("public_url", str, "", matches(_URL, "the console's address, http(s)://..."))
    first = n.get("retry_minutes", int, 5, between(1, 1440))
    cap = n.get("retry_max_minutes", int, max(60, first), between(1, 10080))
    if cap < first:
        raise n.fail("retry_max_minutes", f"must be at least notify.retry_minutes ({first}), got {cap}")
    n.done()
    return NotifySettings(mail=mail, sms=sms, public_url=public_url.rstrip("/"), retry_minutes=first,
                          retry_max_minutes=cap)
