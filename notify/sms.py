"""SMS through Kannel's HTTP `sendsms` interface (smsbox), which hands it to the operators' SMSCs.

The text is sent as UTF-8 (`charset=UTF-8`) with `coding=2`, so Kannel sends it as UCS-2 and the
Vietnamese diacritics reach the phone (7-bit GSM has none of them). Kannel answers
"0: Accepted for delivery" or "3: Queued for later delivery" when it took the message; an HTTP 4xx
(e.g. a number its lists deny) is a permanent refusal, except a refused login, which is the site's
own settings and is retried with the rest; a refused connection or a 5xx is retried.
"""
from __future__ import annotations

import aiohttp

from config.notify_settings import SmsSettings

from notify.failure import SendFailed

ACCEPTED = ("0:", "3:")  # Kannel's "Accepted for delivery" and "Queued for later delivery"


async def send_sms(session: aiohttp.ClientSession, settings: SmsSettings, password: str, to: str, text: str,
                   timeout: float) -> None:
    """Send one SMS; raises `SendFailed` (permanent or not) when Kannel did not take it."""
    params = {"username": settings.username, "password": password, "from": settings.sender, "to": to,
              "text": text, "charset": "UTF-8", "coding": "2"}
    try:
        async with session.get(settings.kannel_url, params=params,
                               timeout=aiohttp.ClientTimeout(total=timeout)) as reply:
            answer = (await reply.text(errors="replace")).strip()
            status = reply.status
    except (aiohttp.ClientError, TimeoutError, OSError) as e:
        raise SendFailed(f"Kannel unreachable: {e or type(e).__name__}", server_down=True) from e
    if 200 <= status < 300 and answer.startswith(ACCEPTED):
        return
    if status in (401, 403):
        raise SendFailed(f"Kannel refused the sendsms login (HTTP {status}): {answer}")
    raise SendFailed(f"Kannel HTTP {status}: {answer}", permanent=400 <= status < 500)
