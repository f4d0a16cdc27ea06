"""What a public page may show of a free text: phone numbers, email addresses and the caller's
name are replaced by a marker ("[đã ẩn]", in English "[hidden]"). Pure: text in, text out; the
stored original never changes (this runs on what is about to be shown).

Phone numbers are Vietnamese ones as people write them: mobiles 0905123456, 0905 123 456,
0905.123.456, 0905-123-456, +84905123456, +84 905 123 456, 84905123456 (and the old 11-digit
01xx ones); landlines 0236 3 822 222, (0236) 3822222, 028 3822 2222. What is left alone, because
it looks like a phone only by accident: dates (12/03/2026, 03.12.2026), times, ticket codes
(1022-261203-4701, a longer run of digits), amounts (1.500.000, 84.500.000.000 đồng) and house
numbers (nothing that short starts with 0 or 84).

A name is matched whole ("Nguyễn Văn An"), or from its second word ("Văn An"), in any case and
with or without its diacritics; its last word alone (how Vietnamese people are addressed) only
after a form of address ("anh An", "chị Lan", "ông An") and written with a capital, so that "an
toàn" and "bà an tâm" stay as they are.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MARKER = {"vi": "[đã ẩn]", "en": "[hidden]"}

_SEP = r"[ .\-]?"
# after the country or trunk prefix: a mobile (3/5/7/8/9 + 8 digits), an old mobile (1 + 9
# digits) or a landline (2 + 9 digits: 024/028 + 8, 02xx + 7)
_NATIONAL = rf"(?:[35789](?:{_SEP}\d){{8}}|1(?:{_SEP}\d){{9}}|2(?:{_SEP}\d){{9}})"
_PHONE = re.compile(
    r"(?<![\d+])(?<!\d[.\-/:])"  # not the tail of a longer number, a date or a time
    rf"(?:(?:\+\s?84|\b84)\s?\(?0?\)?{_SEP}{_NATIONAL}"  # +84 905 123 456, 84905123456
    rf"|\(0(?:2\d{{1,2}})\)\s?(?:\d{_SEP}){{6,7}}\d"  # (0236) 3822222, (028) 3822 2222
    rf"|0{_SEP}{_NATIONAL})"  # 0905 123 456, 0236 3 822 222
    r"(?!\d)(?![.\-/:]\d)")
_DATE = re.compile(r"\d{1,2}[./\-]\d{1,2}[./\-]\d{2,4}")
_AMOUNT = re.compile(r"[1-9]\d{0,2}(?:[.,]\d{3})+")  # thousands grouped: money, never a phone
_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# how Vietnamese speakers name a person before their given name (folded: no diacritics, lower case)
ADDRESS_FORMS = ("anh", "chi", "ong", "ba", "co", "chu", "em", "bac", "di", "cau", "mo", "thim", "cháu", "chau",
                 "mr", "mrs", "ms", "miss", "mr.", "mrs.", "ms.")


def _is_phone(found: str) -> bool:
    """The regex finds phone-shaped digits; this refuses what is really a date or an amount, and a
    mix of separators (0905 123.456 is a phone; 03.12.2026 10 is a date and an hour)."""
    if _DATE.search(found) or _AMOUNT.fullmatch(found):
        return False
    body = re.sub(r"^(\+\s?84|84|\(0\d+\))", "", found)
    return len(set(re.findall(r"[.\-]", body))) <= 1


def hide_phones(text: str, marker: str) -> str:
    out, pos = [], 0
    start = 0
    while (m := _PHONE.search(text, start)) is not None:
        if _is_phone(m.group()):
            out.append(text[pos:m.start()])
            out.append(marker)
            pos = start = m.end()
        else:
            start = m.start() + 1  # a date or an amount here: a phone may still start further on
    out.append(text[pos:])
    return "".join(out)


def hide_emails(text: str, marker: str) -> str:
    return _EMAIL.sub(marker, text)


def fold(text: str) -> str:
    """Lower case without diacritics, one character for one (đ → d), so positions carry over."""
    out = []
    for c in text:
        base = "".join(x for x in unicodedata.normalize("NFD", c) if not unicodedata.combining(x))
        base = {"đ": "d", "Đ": "D"}.get(base, base)
        out.append(base.lower() if len(base.lower()) == 1 else c.lower() if len(c.lower()) == 1 else c)
    return "".join(out)


def _name_patterns(name: str) -> tuple[list[re.Pattern[str]], re.Pattern[str] | None]:
    """(patterns of the name from each word but the last, in any case; the pattern of its last
    word, whose group 1 is hidden when written with a capital)."""
    words = [w for w in fold(unicodedata.normalize("NFC", name)).split() if re.fullmatch(r"\w[\w'.-]*", w)]
    if not words or len("".join(words)) < 2:
        return [], None
    whole = [re.compile(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words[first:]) + r"(?!\w)")
             for first in range(len(words) - 1)]
    forms = "|".join(re.escape(f) for f in sorted(set(ADDRESS_FORMS), key=len, reverse=True))
    last = re.escape(words[-1])
    # a one-word name stands alone too, but with a capital ("Lan", not "lan" in "lan can")
    given = re.compile(rf"(?<!\w)(?:(?:{forms})\s+)?({last})(?!\w)" if len(words) == 1 else
                       rf"(?<!\w)(?:{forms})\s+({last})(?!\w)")
    return whole, given


def hide_names(text: str, names: Iterable[str | None], marker: str) -> str:
    text = unicodedata.normalize("NFC", text)
    folded = fold(text)
    spans: list[tuple[int, int]] = []
    for name in names:
        if not name or not name.strip():
            continue
        whole, given = _name_patterns(name)
        spans += [m.span() for p in whole for m in p.finditer(folded)]
        if given is not None:
            spans += [m.span(1) for m in given.finditer(folded) if text[m.start(1)].isupper()]
    out, pos = [], 0
    for start, end in sorted(spans):
        if start < pos:  # overlaps a match already hidden
            pos = max(pos, end)
            continue
        out += [text[pos:start], marker]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def redact(text: str | None, names: Iterable[str | None] = (), lang: str = "vi") -> str:
    """`text` as a public page may show it: the names, emails and phone numbers replaced by the
    marker of `lang`. Emails first (their digits are not a phone), names last."""
    if not text:
        return ""
    marker = MARKER.get(lang, MARKER["vi"])
    return hide_names(hide_phones(hide_emails(text, marker), marker), names, marker)
