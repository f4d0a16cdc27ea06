"""Prompt audio: the menu file's texts (Vietnamese and English) as 8 kHz mono 16-bit wav.

espeak-ng speaks the text; pydub trims the silence around it and normalises the level;
sox resamples to 8 kHz with a proper anti-alias filter (pydub's own resampling has none).
Files a site recorded itself are never overwritten: drop `sounds/vi/NAME.wav` in to
override. A generated file keeps its text beside it (`NAME.tts`) and is made again when the
text changes; a file without that note is a recording and is left alone. Asterisk plays a prompt
by absolute path without extension: `<sounds>/<lang>/<name>`.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

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


def all_prompts(tree: MenuTree) -> list[Prompt]:
    digits = [Prompt(f"digits/{n}", DIGIT_WORDS["vi"][n], DIGIT_WORDS["en"][n]) for n in range(10)]
    return [*tree.prompts.values(), *digits]


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
    for prompt in all_prompts(tree or load_menu(site)):
        for lang in LANGUAGES:
            base = path(site, prompt.name, lang)
            wav, note = base.with_name(base.name + ".wav"), base.with_name(base.name + ".tts")
            text = prompt.text(lang)
            stale = note.exists() and note.read_text(encoding="utf-8") != text
            if not wav.exists() or stale:
                synthesize(text, lang, wav)
                note.write_text(text, encoding="utf-8")
                written.append(wav)
    return written
