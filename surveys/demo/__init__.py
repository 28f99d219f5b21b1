"""The demo city of 秦川市 (Qinchuan) and its survey season: a deterministic generator of realistic inputs.

``generate_demo(out_dir, seed=...)`` writes the city's population tables and margin files, the exports
analysts really receive (问卷星 xlsx in both 按选项文本 and 按选项序号, a 腾讯问卷 CSV and its GB18030 copy,
paper data-entry workbooks keyed twice, proposal feedback forms and their register) with the flaws real
data has, the ground truth (``truth/truth.json``, ``truth/flaws.csv``), a study spec and a manifest.
The invented numbers live in :mod:`surveys.demo.scenario`; everything else is driven by the questionnaires.
"""
from __future__ import annotations

from surveys.lazy import exports

__getattr__, __dir__, __all__ = exports(__name__, {
    "generate_demo": "surveys.demo.generate",
    "DemoManifest": "surveys.demo.generate",
    "ManifestEntry": "surveys.demo.output",
    "FlawRecord": "surveys.demo.output",
    "DEFAULT_SEED": "surveys.demo.generate",
})
