"""Prompt audio: the menu file's texts (Vietnamese and English) as 8 kHz mono 16-bit wav.

espeak-ng speaks the text; pydub trims the silence around it and normalises the level;
sox resamples to 8 kHz with a proper anti-alias filter (pydub's own resampling has none).
Files a site recorded itself are never overwritten: drop `sounds/vi/NAME.wav` in to
override. A generated file keeps its text beside it (`NAME.tts`) and is made again when the
text changes; a file without that note is a recording and is left alone. Asterisk plays a prompt
by absolute path without extension: `<sounds>/<lang>/<name>`.

A tree that offers the status of a request also gets prompts made from the data: every day of
the month, month and the years around this one (`date/...`), each report field (`field/<key>`)
and each agency of the agencies file (`agency/<key>`, spoken in Vietnamese in both languages:
an agency's name is a proper name, and the file has no English one).
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import calendar
from datetime import datetime
from zoneinfo import ZoneInfo

from ivr.menu import LANGUAGES, MenuTree, Prompt, load_menu
from config import Site

with warnings.catch_warnings():  # pydub warns about ffmpeg at import; it only handles wav here
    warnings.simplefilter("ignore", RuntimeWarning)
    from pydub import AudioSegment, effects, silence

DIGIT_WORDS = {
    "vi": ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"),
    "en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
}


class PromptToolMissing(RuntimeError):
    pass


YEARS_AROUND = (-1, 2)  # date prompts for last year to two years ahead (deadlines are near)
SPOKEN_IN_VIETNAMESE = "agency/"  # prompts whose English file is spoken with the Vietnamese voice


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def date_prompts(year: int) -> list[Prompt]:
    """`date/day-N`, `date/month-N` and `date/year-Y`: ivr.status_line says a date with them."""
    days = [Prompt(f"date/day-{d}", f"ngày {d}", f"the {_ordinal(d)} of") for d in range(1, 32)]
    months = [Prompt(f"date/month-{m}", f"tháng {m}", calendar.month_name[m]) for m in range(1, 13)]
    years = [Prompt(f"date/year-{y}", f"năm {y}", str(y))
             for y in range(year + YEARS_AROUND[0], year + YEARS_AROUND[1] + 1)]
    return [*days, *months, *years]


def status_prompts(site: Site) -> list[Prompt]:
    """What the status line says from the site's data: dates, fields and agencies."""
    fields = [Prompt(f"field/{f.key}", f.vi, f.en) for f in site.fields]
    agencies = [Prompt(f"agency/{a.key}", a.name, a.name) for a in site.agencies.agencies]
    return [*date_prompts(datetime.now(ZoneInfo(site.timezone)).year), *fields, *agencies]


def all_prompts(tree: MenuTree, site: Site | None = None) -> list[Prompt]:
    digits = [Prompt(f"digits/{n}", DIGIT_WORDS["vi"][n], DIGIT_WORDS["en"][n]) for n in range(10)]
    made = status_prompts(site) if site is not None and tree.offers_status() else []
    return [*tree.prompts.values(), *digits, *made]


def path(site: Site, name: str, lang: str) -> Path:
    """What Asterisk is asked to play (no extension)."""
    return site.paths.sounds / lang / name


def _tidy(wav: Path) -> None:
    """Trim leading/trailing silence (keep 150 ms) and normalise to -3 dBFS, with pydub."""
    audio = AudioSegment.from_wav(wav)
    lead = silence.detect_leading_silence(audio, silence_threshold=-45)
    tail = silence.detect_leading_silence(audio.reverse(), silence_threshold=-45)
    audio = audio[max(0, lead - 150):max(lead + 1, len(audio) - max(0, tail - 150))]
    effects.normalize(audio, headroom=3.0).export(wav, format="wav")


def synthesize(text: str, lang: str, out: Path) -> None:
    for tool in ("espeak-ng", "sox"):
        if not shutil.which(tool):
            raise PromptToolMissing(f"{tool} not found: install it (apt-get install espeak-ng sox), "
                                    f"or drop recorded 8 kHz mono wav prompts into {out.parent}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(["espeak-ng", "-v", lang, "-s", "160", "-w", str(raw), text], check=True,
                       capture_output=True, timeout=60)
        _tidy(raw)
        part = out.with_name(out.stem + ".part.wav")
        subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(part)],
                       check=True, capture_output=True, timeout=60)
        part.chmod(0o640)  # Asterisk reads it through its group (tongdai.pbx.prepare)
        part.replace(out)


def ensure(site: Site, tree: MenuTree | None = None) -> list[Path]:
    """Generate every missing prompt file; returns the files it wrote."""
    written = []
    for prompt in all_prompts(tree or load_menu(site), site):
        for lang in LANGUAGES:
            base = path(site, prompt.name, lang)
            wav, note = base.with_name(base.name + ".wav"), base.with_name(base.name + ".tts")
            text = prompt.text(lang)
            stale = note.exists() and note.read_text(encoding="utf-8") != text
            if not wav.exists() or stale:
                synthesize(text, "vi" if prompt.name.startswith(SPOKEN_IN_VIETNAMESE) else lang, wav)
                note.write_text(text, encoding="utf-8")
                written.append(wav)
    return written
