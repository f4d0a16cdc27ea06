"""How the site sends notifications (filled by `config.notify_file`): SMTP for email, Kannel's
HTTP sendsms interface for SMS, and the console's public address for links."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MailSettings:
    host: str = ""  # "" = no email is sent (notifications wait, queued)
    port: int = 25
    sender: str = "1022@localhost"
    starttls: bool = False
    username: str = ""  # the password is in the secrets file (mail_password)


@dataclass(frozen=True)
class SmsSettings:
    kannel_url: str = ""  # e.g. http://127.0.0.1:13013/cgi-bin/sendsms; "" = no SMS is sent
    username: str = "tongdai"  # the sendsms-user; its password is in the secrets file (kannel_password)
    sender: str = "1022"


@dataclass(frozen=True)
class NotifySettings:
    mail: MailSettings = MailSettings()
    sms: SmsSettings = SmsSettings()
    public_url: str = ""  # how agencies reach the console (links in mail and SMS); "" = http://bind:web
    retry_minutes: int = 5  # the first retry of a failed send; each next one waits twice as long ...
    retry_max_minutes: int = 60  # ... up to this
