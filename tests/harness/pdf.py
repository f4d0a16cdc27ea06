"""A PDF's text as poppler's pdftotext reads it. poppler-utils is one of the parts `make test`
installs, so a missing pdftotext fails the test (never a skip)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The text, with runs of white space made one space."""
    tool = shutil.which("pdftotext")
    if not tool:
        pytest.fail("pdftotext required: apt-get install poppler-utils (make test installs it)")
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(data)
    out = subprocess.run([tool, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True, timeout=60)
    return " ".join(out.stdout.decode("utf-8").split())
