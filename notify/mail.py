"""Email over SMTP with the standard library's smtplib (blocking: the outbox runs it in a thread).

Subject and body are Vietnamese: `EmailMessage` encodes the subject per RFC 2047 and the body as
UTF-8, so diacritics arrive intact whatever the server. A 5xx for the recipient or the message is
a permanent refusal; anything else (server down, 4xx, a login or STARTTLS problem of the site's own
settings) is retried, so fixing the settings sends what waited.
"""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from config.notify_settings import MailSettings

from notify.failure import SendFailed


def compose(settings: MailSettings, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(body, charset="utf-8")
    return message


def _reply(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}".strip()


def send_mail(settings: MailSettings, password: str, to: str, subject: str, body: str, timeout: float) -> None:
    """Send one message; raises `SendFailed` (permanent or not) when it did not go out."""
    message = compose(settings, to, subject, body)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=timeout) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, password)
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as e:
        code, text = next(iter(e.recipients.values()), (0, b"refused"))
        raise SendFailed(f"recipient refused: {_reply(code, text)}", permanent=code >= 500) from e
    except (smtplib.SMTPSenderRefused, smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError) as e:
        raise SendFailed(f"mail settings refused by the server: {e}") from e  # the site's fault: fixable
    except smtplib.SMTPResponseException as e:  # e.g. the message refused after DATA
        raise SendFailed(f"refused: {_reply(e.smtp_code, e.smtp_error)}", permanent=e.smtp_code >= 500) from e
    except (smtplib.SMTPException, OSError) as e:  # refused connection, timeout, dropped line
        raise SendFailed(f"mail server unreachable: {e or type(e).__name__}", server_down=True) from e
