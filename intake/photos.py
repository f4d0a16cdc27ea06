"""A citizen's photo: a JPEG or PNG by its content (never its name or the browser's type), at most
5 MB, decoded in full by Pillow and written again from its pixels alone, so nothing else leaves
with it: the camera's EXIF (make, serial number, time), XMP, comments and colour profiles are all
dropped. The EXIF location is the one thing kept, returned beside the photo for internal use (the
ticket's map point, the photo's row): it is where the problem is, but it never rides in the file."""
from __future__ import annotations

import hashlib
import io
import math
import os
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTOS = 3
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 5 MB file can claim a huge canvas (a decompression bomb): refused before decoding
FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png")}
GPS_IFD = 0x8825
JPEG_QUALITY = 88


class PhotoRefused(ValueError):
    """`code`: too_big | not_image."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes  # the photo as stored: pixels only
    extension: str  # jpg | png
    content_type: str
    width: int
    height: int
    sha256: str  # of `data`
    gps: tuple[float, float] | None  # (latitude, longitude) from the original's EXIF, if it had one


def clean(data: bytes) -> CleanPhoto:
    """The photo without its metadata, or PhotoRefused."""
    if len(data) > MAX_BYTES:
        raise PhotoRefused("too_big")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as probe:
                probe.verify()  # the file's structure and checksums, before any pixel is decoded
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as original:
                if original.width * original.height > MAX_PIXELS:
                    raise PhotoRefused("too_big")
                kind = str(original.format)
                gps = _gps(original)
                upright = ImageOps.exif_transpose(original)  # the camera's rotation, applied to the pixels
                pixels = _plain(upright, kind)
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, EOFError):
        raise PhotoRefused("not_image") from None
    out = io.BytesIO()
    if kind == "JPEG":
        pixels.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        pixels.save(out, "PNG", optimize=True)
    stored = out.getvalue()
    extension, content_type = FORMATS[kind]
    return CleanPhoto(stored, extension, content_type, pixels.width, pixels.height,
                      hashlib.sha256(stored).hexdigest(), gps)


def _plain(image: Image.Image, kind: str) -> Image.Image:
    """A new image holding only the pixels (no `info`: no EXIF, ICC, XMP or text chunks to copy)."""
    keep = ("RGB", "L") if kind == "JPEG" else ("RGB", "RGBA", "L", "LA")
    if image.mode not in keep:
        image = image.convert("RGBA" if kind == "PNG" and ("A" in image.getbands() or "transparency" in image.info)
                              else "RGB")
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _gps(image: Image.Image) -> tuple[float, float] | None:
    """The EXIF GPS position in decimal degrees (south and west negative), or None if absent or absurd."""
    try:
        tags = image.getexif().get_ifd(GPS_IFD)
        lat = _degrees(tags.get(2), tags.get(1))
        lon = _degrees(tags.get(4), tags.get(3))
    except (KeyError, TypeError, ValueError, ZeroDivisionError, AttributeError):
        return None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat, lon) == (0, 0):
        return None
    return round(lat, 7), round(lon, 7)


def _degrees(value: object, ref: object) -> float | None:
    if not isinstance(value, tuple) or len(value) != 3:
        return None
    d, m, s = (float(part) for part in value)  # EXIF rationals; 0/0 reads as NaN
    degrees = d + m / 60 + s / 3600
    if not math.isfinite(degrees):
        return None
    return -degrees if str(ref).strip().upper() in ("S", "W") else degrees


def save(photo: CleanPhoto, root: Path) -> tuple[str, bool]:
    """Store the photo under `root` by its content (the same photo sent twice is one file); returns its
    path relative to `root`, and whether this call created the file (so a failed report can remove it).
    Written to a temporary name and renamed: a reader never sees half a photo."""
    relative = f"{photo.sha256[:2]}/{photo.sha256}.{photo.extension}"
    target = root / relative
    if target.exists():
        return relative, False
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}")
    temporary.write_bytes(photo.data)
    os.replace(temporary, target)
    return relative, True
