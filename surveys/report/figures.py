"""Chart files as the report embeds them: their natural size on screen and paper, and their bytes.

A chart saved at 300 dpi and 7 inches wide is 2100 pixels; shown at that many CSS pixels it would be three
times its intended size. Its natural size is ``pixels / dpi`` inches (the PNG's pHYs chunk, written by
:func:`surveys.charts.canvas.save_figure`), i.e. ``inches × 96`` CSS pixels; an SVG states its size in points
(1 pt = 96/72 px).
"""
from __future__ import annotations

import pathlib
import re

from surveys.errors import ReportError

__all__ = ["natural_size", "screen_png", "CSS_DPI", "SCREEN_DPI", "SCREEN_COLOURS"]

CSS_DPI = 96.0
# Charts in the HTML report: sharp on a high-density screen and readable when printed, in a 128-colour palette
# (charts are flat colours; their anti-aliased edges keep enough shades): about a quarter of the bytes of the
# 300-dpi print files, which the workbook and the Word report embed.
SCREEN_DPI = 144.0
SCREEN_COLOURS = 128
_DEFAULT_DPI = 96.0
_SVG_LENGTH = re.compile(r"^\s*([0-9.]+)\s*(pt|px|in|cm|mm)?\s*$")
_UNIT_PIXELS = {"pt": CSS_DPI / 72.0, "px": 1.0, "in": CSS_DPI, "cm": CSS_DPI / 2.54, "mm": CSS_DPI / 25.4, None: 1.0}


def _png_size(path: pathlib.Path) -> tuple[float, float]:
    from PIL import Image  # Pillow comes with matplotlib

    try:
        with Image.open(path) as image:
            width, height = image.size
            dpi = image.info.get("dpi", (_DEFAULT_DPI, _DEFAULT_DPI))[0] or _DEFAULT_DPI
    except OSError as error:
        raise ReportError(f"cannot read the chart {str(path)!r} as a PNG image: {error}") from error
    scale = CSS_DPI / float(dpi)
    return width * scale, height * scale


def _svg_length(root: str, attribute: str) -> float | None:
    match = re.search(rf'\b{attribute}="([^"]*)"', root)
    if not match:
        return None
    length = _SVG_LENGTH.match(match.group(1))
    return float(length.group(1)) * _UNIT_PIXELS[length.group(2)] if length else None


def _svg_size(path: pathlib.Path) -> tuple[float, float] | None:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError as error:
        raise ReportError(f"cannot read the chart {str(path)!r}: {error}") from error
    root = re.search(r"<svg\b[^>]*>", head)
    if root is None:
        return None
    width, height = _svg_length(root.group(0), "width"), _svg_length(root.group(0), "height")
    return (width, height) if width and height else None


def natural_size(path: pathlib.Path) -> tuple[float, float] | None:
    """(width, height) in CSS pixels at the chart's intended physical size, or None when unknown."""
    if path.suffix.lower() == ".png":
        return _png_size(path)
    return _svg_size(path)


def screen_png(path: pathlib.Path, dpi: float = SCREEN_DPI) -> bytes:
    """The PNG at ``path`` resampled to ``dpi`` at its natural size (never enlarged), in a palette of
    :data:`SCREEN_COLOURS` colours, as PNG bytes (a PNG already at ``dpi`` or below is returned as it is)."""
    import io

    from PIL import Image

    try:
        with Image.open(path) as image:
            source_dpi = float(image.info.get("dpi", (_DEFAULT_DPI, _DEFAULT_DPI))[0] or _DEFAULT_DPI)
            if source_dpi <= dpi:
                return path.read_bytes()
            scale = dpi / source_dpi
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            smaller = image.convert("RGB").resize(size, Image.LANCZOS)
            # the maximum-coverage palette: on the demo's 40 charts 0.85 s instead of median cut's 1.8 s, every
            # pixel within 15 levels of the resampled colour (median cut: up to 88; the fast octree, 0.25 s, up to
            # 51 and a page white of 254), white kept white; and zlib's default effort, not the search of
            # optimize=True (1.2 s for 5% fewer bytes)
            palette = smaller.quantize(colors=SCREEN_COLOURS, method=Image.Quantize.MAXCOVERAGE,
                                       dither=Image.Dither.NONE)
            buffer = io.BytesIO()
            palette.save(buffer, format="PNG", dpi=(dpi, dpi))
            return buffer.getvalue()
    except OSError as error:
        raise ReportError(f"cannot read the chart {str(path)!r} as a PNG image: {error}") from error
