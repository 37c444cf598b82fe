"""Which image formats a browser shows, and what the tool makes of an image in one it does not.

Every browser shows PNG, JPEG, GIF, WebP, AVIF and SVG. An iPhone's photo is HEIC, which only
Safari shows, and an archive may hold TIFF scans, BMP screenshots or icons: those are converted
here, with Pillow (and the pillow-heif plugin for HEIC/HEIF), to JPEG for a photo and to PNG for
anything lossless or transparent. The conversion is deterministic, so a re-run stores the same
bytes under the same name.
"""
from __future__ import annotations

import io
import mimetypes
import warnings
from posixpath import splitext
from urllib.parse import unquote, urlsplit

BROWSER_FORMATS = frozenset({"png", "jpg", "gif", "webp", "avif", "svg"})

# What the author would call a file of each format the tool recognises but a browser may not show.
_NAMES = {
    "heic": "a HEIC photo", "heif": "a HEIF image", "tif": "a TIFF image", "bmp": "a BMP image",
    "ico": "an ICO icon", "jp2": "a JPEG 2000 image", "jxl": "a JPEG XL image", "psd": "a Photoshop (PSD) file",
}
# Formats whose pictures are photographs, stored lossily: converted to JPEG unless transparent.
_PHOTO_FORMATS = frozenset({"heic", "heif", "jp2", "jxl"})
_ALIASES = {"jpeg": "jpg", "jpe": "jpg", "jfif": "jpg", "tiff": "tif", "svgz": "svg", "hif": "heif"}
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"mif2"}
JPEG_QUALITY = 90
# Pillow refuses pictures this large (a decompression bomb) instead of only warning.
MAX_PIXELS = 100_000_000


def browser_shows(ext: str | None) -> bool:
    return ext in BROWSER_FORMATS


def describe(ext: str | None) -> str:
    """`ext` in words, for a sentence: "a HEIC photo", "a PNG image"."""
    if ext in _NAMES:
        return _NAMES[ext]
    return f"a {'JPEG' if ext == 'jpg' else (ext or 'unknown').upper()} image"


def normalise(ext: str | None) -> str | None:
    ext = (ext or "").lower().lstrip(".")
    return _ALIASES.get(ext, ext) or None


def format_of_url(url: str) -> str | None:
    """The format a URL's file name announces (`..._2720x1520.heic` -> "heic"), or None."""
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        return None
    return normalise(splitext(path.rsplit("/", 1)[-1])[1])


def format_of_media_type(media_type: str | None) -> str | None:
    """The format a media type names (`image/heic` -> "heic"), or None."""
    media_type = (media_type or "").split(";")[0].strip().lower()
    if not media_type.startswith("image/"):
        return None
    subtype = media_type[len("image/"):]
    if subtype in ("heic", "heif", "heic-sequence", "heif-sequence", "avif", "webp", "jxl", "jp2"):
        return normalise(subtype.split("-")[0])
    guessed = mimetypes.guess_extension(media_type)
    return normalise(guessed) if guessed else normalise(subtype.removeprefix("x-").split("+")[0])


def iso_media_format(data: bytes) -> str | None:
    """AVIF, HEIC or HEIF, from the brands of an ISO media file's leading `ftyp` box; else None."""
    if data[4:8] != b"ftyp" or len(data) < 16:
        return None
    size = int.from_bytes(data[:4], "big")
    end = min(max(size, 16), len(data), 4096)
    brands = {data[8:12]} | {data[i:i + 4] for i in range(16, end - 3, 4)}
    if brands & {b"avif", b"avis"}:
        return "avif"
    if brands & _HEIC_BRANDS:
        return "heic"
    if brands & _HEIF_BRANDS:
        return "heif"
    return None


class ConversionError(Exception):
    """An image in a format browsers do not show could not be converted; the message says why."""


def to_browser_format(data: bytes, ext: str) -> tuple[bytes, str]:
    """`data` (an image in format `ext`) as JPEG, or PNG when lossless or transparent."""
    try:
        from PIL import Image, ImageOps
    except ImportError:  # pragma: no cover - Pillow is a dependency; a broken install says so
        raise ConversionError("Pillow is not installed") from None
    if ext in ("heic", "heif"):
        try:
            from pillow_heif import register_heif_opener
        except ImportError:  # pragma: no cover
            raise ConversionError("pillow-heif is not installed") from None
        register_heif_opener()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS
            with Image.open(io.BytesIO(data)) as picture:
                picture.load()
                picture = ImageOps.exif_transpose(picture)   # an iPhone's rotation, applied to the pixels
                transparent = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
                as_jpeg = ext in _PHOTO_FORMATS and not transparent
                if as_jpeg:
                    picture = picture.convert("RGB")
                elif picture.mode not in ("RGB", "RGBA", "L", "LA", "P", "1"):
                    picture = picture.convert("RGBA" if transparent else "RGB")
                out = io.BytesIO()
                if as_jpeg:
                    picture.save(out, "JPEG", quality=JPEG_QUALITY)
                else:
                    picture.save(out, "PNG")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ConversionError(f"it is too large to convert ({exc})") from None
    except Image.UnidentifiedImageError:
        # Pillow's own message names its buffer object by address: a report would differ on every run.
        raise ConversionError("its bytes are damaged, or a kind of the format Pillow cannot read") from None
    except Exception as exc:  # Pillow raises many kinds for a damaged or unsupported file
        raise ConversionError(str(exc) or type(exc).__name__) from None
    return out.getvalue(), "jpg" if as_jpeg else "png"
