"""Find a font with Simplified-Chinese glyphs explicitly, register it, and check labels against it.

Matplotlib's default font (DejaVu Sans) has no CJK glyphs, and a font that merely happens to be in the
font cache is luck, not a dependency. So the charts look for a font file in a fixed order of
**sources** (a name → function registry, :data:`FONT_SOURCES`), register the first file that has a glyph
for every character of :data:`PROBE` with ``matplotlib.font_manager.fontManager.addfont(path)``, and
hand a :class:`~matplotlib.font_manager.FontProperties` to every text they draw:

1. ``environment``: the file named by the ``SURVEYS_CJK_FONT`` environment variable (the analyst's choice);
2. ``pylopdf-fonts-zh-cn``: the PyPI package that ships Noto Sans SC Regular (notofonts/noto-cjk
   ``Sans/SubsetOTF/SC``, SIL Open Font License 1.1, 8.3 MB) as a plain data package;
3. ``noto-cjk-sans-otc``: the PyPI package with the Noto Sans CJK collection (OFL 1.1), whose "SC" face is chosen;
4. ``system``: well-known paths of Debian/Ubuntu (``fonts-noto-cjk``, ``fonts-wqy-microhei``,
   ``fonts-wqy-zenhei``, ``fonts-droid-fallback``), macOS and Windows font files. A CJK-only face (Droid
   Sans Fallback has no Latin letters or digits) is paired with matplotlib's own DejaVu Sans, which draws
   the characters it has first (per-glyph font fallback).

Nothing here runs at import time; :func:`find_cjk_font` runs on the first chart and is cached.
Every chart checks each character it is about to draw against the chosen font's character map
(:meth:`ChartFont.missing`) and raises :class:`~surveys.charts.errors.ChartFontError` instead of drawing
tofu boxes. Validated by ``tests/test_charts.py``, which renders every chart with warnings as errors
(matplotlib warns "Glyph … missing from font" for any character it cannot draw).
"""
from __future__ import annotations

import functools
import importlib
import os
import pathlib
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Mapping

import matplotlib
from matplotlib import font_manager, ft2font

from surveys.errors import ChartFontError

__all__ = [
    "ChartFont",
    "FONT_SOURCES",
    "FONT_ENVIRONMENT_VARIABLE",
    "PROBE",
    "PROBE_CJK",
    "PROBE_LATIN",
    "find_cjk_font",
    "fallback_latin_font",
    "font_for",
]

FONT_ENVIRONMENT_VARIABLE = "SURVEYS_CJK_FONT"

# Characters a usable Simplified-Chinese font must have: the charts' own wording plus common punctuation
# (PROBE_CJK), and Latin letters, digits and signs (PROBE_LATIN). A CJK-only fallback font (Droid Sans
# Fallback) that lacks the latter is paired with DejaVu Sans, which draws them.
PROBE_CJK = "满意率达标未误差范围内受访者区县部门加权前后样本总体权重调查办理结果数据可靠不了解（）：，、"
PROBE_LATIN = "AZaz09%±.-"
PROBE = PROBE_CJK + PROBE_LATIN

# Family names preferred inside a font collection (.ttc), best first: the Simplified-Chinese faces.
_PREFERRED_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Micro Hei",
                       "WenQuanYi Zen Hei", "Microsoft YaHei", "PingFang SC")

_INSTALL_ADVICE = (
    "install a Simplified-Chinese font: `pip install pylopdf-fonts-zh-cn` (Noto Sans SC, SIL OFL 1.1) or "
    "`apt-get install fonts-noto-cjk`, or set SURVEYS_CJK_FONT to an .otf/.ttf/.ttc file; "
    "or draw the chart with lang='en' and English data labels"
)


@dataclass(frozen=True)
class FontCandidate:
    """A font file a source offers, with where it came from and its licence (as the source declares it)."""

    path: str
    source: str
    licence: str


@dataclass(frozen=True)
class ChartFont:
    """The font the charts draw with: one face of one file, registered with matplotlib's font manager.

    ``latin``: for a CJK-only face, the font drawn first for the characters it has (Latin letters, digits),
    through matplotlib's per-glyph font fallback (matplotlib >= 3.6).
    """

    path: str
    family: str
    source: str
    licence: str
    face_index: int = 0
    latin: "ChartFont | None" = None

    def properties(self, size: float | None = None, weight: str | None = None) -> font_manager.FontProperties:
        """FontProperties that select exactly this face (by file for face 0, else by its family name), after
        the ``latin`` font when there is one."""
        if self.latin is not None:
            return font_manager.FontProperties(family=[self.latin.family, self.family], size=size, weight=weight)
        if self.face_index == 0:
            return font_manager.FontProperties(fname=self.path, size=size, weight=weight)
        return font_manager.FontProperties(family=self.family, size=size, weight=weight)

    def missing(self, text: str) -> str:
        """The distinct characters of ``text`` that this face (and its ``latin`` font) has no glyph for
        (whitespace ignored)."""
        charmap = _charmap(self.path, self.face_index)
        if self.latin is not None:
            charmap = charmap | _charmap(self.latin.path, self.latin.face_index)
        seen: dict[str, None] = {}
        for character in text:
            if not character.isspace() and ord(character) not in charmap and character not in seen:
                seen[character] = None
        return "".join(seen)


def _open(path: str, face_index: int = 0) -> ft2font.FT2Font:
    if face_index == 0:
        return ft2font.FT2Font(path)
    return ft2font.FT2Font(path, face_index=face_index)  # matplotlib >= 3.10 reads collection faces


@functools.lru_cache(maxsize=None)
def _charmap(path: str, face_index: int) -> frozenset[int]:
    return frozenset(_open(path, face_index).get_charmap())


def _faces(path: str) -> Iterator[tuple[int, str]]:
    """(face index, family name) of every face of ``path`` that this matplotlib can open."""
    first = _open(path)
    yield 0, first.family_name
    for index in range(1, getattr(first, "num_faces", 1)):
        try:
            yield index, _open(path, index).family_name
        except TypeError:  # matplotlib < 3.10: FT2Font has no face_index; only face 0 is usable
            return


def _choose_face(candidate: FontCandidate) -> ChartFont | None:
    """The preferred face of ``candidate`` that covers :data:`PROBE`, or None."""
    try:
        faces = list(_faces(candidate.path))
    except (OSError, RuntimeError, ValueError):
        return None
    rank = {family: position for position, family in enumerate(_PREFERRED_FAMILIES)}
    faces.sort(key=lambda face: (rank.get(face[1], len(rank)), face[0]))
    for index, family in faces:
        font = ChartFont(candidate.path, family, candidate.source, candidate.licence, index)
        if not font.missing(PROBE):
            return font
    for index, family in faces:  # a CJK-only face: Latin letters and digits from DejaVu Sans
        font = ChartFont(candidate.path, family, candidate.source, candidate.licence, index, fallback_latin_font())
        if not font.missing(PROBE):
            return font
    return None


# ------------------------------------------------------------------------------------------------
# Sources (the registry): each yields candidate files, best first.
# ------------------------------------------------------------------------------------------------


def _from_environment() -> Iterator[FontCandidate]:
    value = os.environ.get(FONT_ENVIRONMENT_VARIABLE, "").strip()
    if value:
        if not pathlib.Path(value).is_file():
            raise ChartFontError(
                f"{FONT_ENVIRONMENT_VARIABLE} names a font file that does not exist: {value!r}; "
                "point it at an .otf/.ttf/.ttc file with Simplified-Chinese glyphs, or unset it"
            )
        yield FontCandidate(value, FONT_ENVIRONMENT_VARIABLE, "as chosen by the user")


def _from_package(module: str, attribute: str, licence: str) -> Callable[[], Iterator[FontCandidate]]:
    def source() -> Iterator[FontCandidate]:
        try:
            package = importlib.import_module(module)
        except ImportError:
            return
        value = getattr(package, attribute)
        path = value() if callable(value) else value
        if pathlib.Path(str(path)).is_file():
            yield FontCandidate(str(path), f"package {module}", licence)

    return source


_SYSTEM_PATHS = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "SIL OFL 1.1 (fonts-noto-cjk)"),
    ("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf", "SIL OFL 1.1"),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", "SIL OFL 1.1"),
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", "SIL OFL 1.1"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "Apache 2.0 / GPL 3 (fonts-wqy-microhei)"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "GPL 2 with font exception (fonts-wqy-zenhei)"),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", "Apache 2.0 (fonts-droid-fallback)"),
    ("/System/Library/Fonts/PingFang.ttc", "system font (macOS)"),
    ("/System/Library/Fonts/STHeiti Light.ttc", "system font (macOS)"),
    ("C:/Windows/Fonts/msyh.ttc", "system font (Windows)"),
    ("C:/Windows/Fonts/simhei.ttf", "system font (Windows)"),
)


def _from_system() -> Iterator[FontCandidate]:
    for path, licence in _SYSTEM_PATHS:
        if pathlib.Path(path).is_file():
            yield FontCandidate(path, "system", licence)


FONT_SOURCES: Mapping[str, Callable[[], Iterable[FontCandidate]]] = {
    "environment": _from_environment,
    "pylopdf-fonts-zh-cn": _from_package("pylopdf_fonts_zh_cn", "sans_path", "SIL OFL 1.1 (Noto Sans SC)"),
    "noto-cjk-sans-otc": _from_package("noto_cjk_sans_otc", "FONT_PATH", "SIL OFL 1.1 (Noto Sans CJK)"),
    "system": _from_system,
}


def _register(font: ChartFont) -> ChartFont:
    # Registering (not the font cache) is what makes the family name usable by matplotlib's findfont.
    font_manager.fontManager.addfont(font.path)
    return font


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> ChartFont:
    """The first font of :data:`FONT_SOURCES` (in order) that covers :data:`PROBE`, registered with matplotlib.

    Raises :class:`ChartFontError` (what was tried and what to install) when none is found. Cached: call
    ``find_cjk_font.cache_clear()`` after installing a font or changing ``SURVEYS_CJK_FONT``.
    """
    tried = []
    for name, source in FONT_SOURCES.items():
        candidates = list(source())
        for candidate in candidates:
            font = _choose_face(candidate)
            if font is not None:
                return _register(font)
        tried.append(f"{name} ({', '.join(c.path for c in candidates) or 'nothing found'})")
    raise ChartFontError(
        "no font with Simplified-Chinese glyphs was found (tried: " + "; ".join(tried) + "); " + _INSTALL_ADVICE
    )


def fallback_latin_font() -> ChartFont:
    """DejaVu Sans as shipped inside matplotlib: enough for English labels when no CJK font exists."""
    path = pathlib.Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return ChartFont(str(path), "DejaVu Sans", "matplotlib", "Bitstream Vera / DejaVu licence")


def font_for(text: str, lang: str) -> ChartFont:
    """The font for a chart whose labels are ``text``: the CJK font; for English charts without a CJK font,
    DejaVu Sans when it covers every character. Raises :class:`ChartFontError` naming the characters otherwise."""
    try:
        font = find_cjk_font()
    except ChartFontError:
        if lang != "en":
            raise
        font = fallback_latin_font()
        missing = font.missing(text)
        if missing:
            raise ChartFontError(
                f"the chart's labels contain characters {missing!r} that {font.family} cannot draw and no CJK font "
                f"was found; {_INSTALL_ADVICE}"
            ) from None
        return font
    missing = font.missing(text)
    if missing:
        raise ChartFontError(
            f"the font {font.family} ({font.path}) has no glyph for {missing!r} used in the chart's labels; "
            f"set {FONT_ENVIRONMENT_VARIABLE} to a font that has them, or change the labels"
        )
    return font
