"""Prompt audio: text (Vietnamese and English) turned into 8 kHz mono 16-bit wav files.

espeak-ng speaks the text; sox resamples with a proper anti-alias filter (pydub's own
resampling has none). Files a site has recorded itself are never overwritten. Asterisk
plays a prompt by its absolute path without extension: `<sounds>/<lang>/<name>`.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tongdai.config import ConfigError, Site

SYSTEM_PROMPTS = Path(__file__).with_name("prompts.toml")
LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class Prompt:
    name: str
    vi: str
    en: str

    def text(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en


class PromptToolMissing(RuntimeError):
    pass


def load_prompts(site: Site, file: Path = SYSTEM_PROMPTS) -> dict[str, Prompt]:
    data = tomllib.loads(file.read_text(encoding="utf-8"))
    values = dict(hotline=site.hotline, **site.emergency.numbers)
    out = {}
    for name, texts in data.items():
        for lang in LANGUAGES:
            if not isinstance(texts, dict) or not isinstance(texts.get(lang), str):
                raise ConfigError(file, f"{name}.{lang}", "every prompt needs Vietnamese and English text")
        out[name] = Prompt(name, texts["vi"].format(**values), texts["en"].format(**values))
    return out


def path(site: Site, name: str, lang: str) -> Path:
    """What Asterisk is asked to play (no extension)."""
    return site.paths.sounds / lang / name


def synthesize(text: str, lang: str, out: Path) -> None:
    for tool in ("espeak-ng", "sox"):
        if not shutil.which(tool):
            raise PromptToolMissing(f"{tool} not found: install it (apt-get install espeak-ng sox), "
                                    f"or drop recorded 8 kHz mono wav prompts into {out.parent}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(["espeak-ng", "-v", lang, "-s", "150", "-w", str(raw), text], check=True,
                       capture_output=True, timeout=60)
        part = out.with_suffix(".part.wav")
        subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
                        str(part), "gain", "-n", "-3"], check=True, capture_output=True, timeout=60)
        part.chmod(0o644)
        part.replace(out)


def ensure(site: Site, prompts: dict[str, Prompt] | None = None) -> list[Path]:
    """Generate every missing prompt file; returns the files it wrote."""
    written = []
    for prompt in (prompts or load_prompts(site)).values():
        for lang in LANGUAGES:
            wav = path(site, prompt.name, lang).with_suffix(".wav")
            if not wav.exists():
                synthesize(prompt.text(lang), lang, wav)
                written.append(wav)
    for d in (site.paths.sounds, *(site.paths.sounds / lang for lang in LANGUAGES)):
        d.chmod(0o755)
    return written
