"""The benchmark's synthetic satisfaction survey: one deterministic generator for every tool.

Imported from the project's environment and from the peers' environments (numpy and pandas only),
so each tool's worker regenerates the *same* DataFrame inside its own process; ``frame_checksum``
lets the runner confirm that the frames really are identical across environments.

Design: 12 strata (districts) with 50 PSUs each (600 PSUs, ids unique across strata, so the
PSUs are nested in the strata whichever convention a tool uses), rows spread over the PSUs with
unequal sizes (every PSU gets at least one row, so every stratum has 50 PSUs), two modes (paper /
online, the online share varying by district), sex, six age groups (online respondents younger),
a 0/1 ``satisfied`` around 80% with district, mode, age and PSU effects, and positive weights
(a PSU base weight times row-level noise). District, PSU, mode, sex and age group are string
columns (pandas ``str`` with Python storage in every environment, see ``string_dtype``), as a
survey export gives them.

Raking margins (population counts per category for district, sex and age group) are data here
too: ``population_margins`` scales fixed population shares to the weighted total of the sample,
so all three margins share one grand total and iterative proportional fitting can converge;
``alternative=True`` gives a second, shifted set used for the re-raking workload.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

SEED = 20261126
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}

DISTRICTS = [f"D{number:02d}" for number in range(1, 13)]
PSUS_PER_DISTRICT = 50
MODES = ["paper", "online"]
SEXES = ["female", "male"]
AGE_GROUPS = ["18-29", "30-39", "40-49", "50-59", "60-69", "70+"]

# Population shares used for the raking margins (the sample deviates from them on purpose).
_DISTRICT_SHARES = np.array([11, 9, 8, 10, 7, 6, 9, 8, 10, 7, 8, 7], dtype=float)
_SEX_SHARES = np.array([0.51, 0.49])
_AGE_SHARES = np.array([0.18, 0.19, 0.18, 0.17, 0.15, 0.13])
# The alternative margins an analyst might try next (older, more female population).
_ALT_DISTRICT_SHARES = _DISTRICT_SHARES * np.linspace(0.9, 1.1, 12)
_ALT_SEX_SHARES = np.array([0.53, 0.47])
_ALT_AGE_SHARES = np.array([0.15, 0.17, 0.18, 0.18, 0.17, 0.15])


def parse_size(text: str) -> int:
    """'10k' -> 10000, '1M' -> 1000000, '2500' -> 2500."""
    text = text.strip()
    if text in SIZES:
        return SIZES[text]
    multiplier = {"k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if multiplier != 1 else text
    return int(float(number) * multiplier)


def size_label(rows: int) -> str:
    """1000000 -> '1M', 100000 -> '100k', 2500 -> '2500'."""
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    if rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return str(rows)


def make_survey(rows: int, seed: int = SEED, strings: str = "object") -> pd.DataFrame:
    """The synthetic survey with ``rows`` respondents (deterministic for a given seed).

    Columns: ``district, psu, mode, sex, age_group`` (strings stored as ``strings``: see :func:`string_dtype`),
    ``satisfied`` (int 0/1) and ``weight`` (float > 0).
    """
    n_psus = len(DISTRICTS) * PSUS_PER_DISTRICT
    if rows < n_psus:
        raise ValueError(f"rows must be at least {n_psus} (one per PSU); got {rows}")
    rng = np.random.default_rng(seed)

    psu_district = np.repeat(np.arange(len(DISTRICTS)), PSUS_PER_DISTRICT)
    psu_size = rng.gamma(shape=2.0, scale=1.0, size=n_psus) + 0.2
    psu_effect = rng.normal(0.0, 0.35, size=n_psus)
    district_effect = rng.normal(0.0, 0.3, size=len(DISTRICTS))
    district_online = np.linspace(0.25, 0.7, len(DISTRICTS))
    psu_base_weight = rng.uniform(20.0, 200.0, size=n_psus)

    # One row per PSU first (every PSU is sampled), the rest proportional to PSU size.
    extra = rng.choice(n_psus, size=rows - n_psus, p=psu_size / psu_size.sum())
    psu = rng.permutation(np.concatenate([np.arange(n_psus), extra]))
    district = psu_district[psu]

    online = rng.random(rows) < district_online[district]
    sex = (rng.random(rows) < 0.47).astype(np.int64)  # 0 female, 1 male
    young_probabilities = np.array([0.30, 0.25, 0.18, 0.12, 0.09, 0.06])
    old_probabilities = np.array([0.08, 0.12, 0.17, 0.22, 0.22, 0.19])
    age_online = rng.choice(6, size=rows, p=young_probabilities)
    age_paper = rng.choice(6, size=rows, p=old_probabilities)
    age = np.where(online, age_online, age_paper)

    age_effect = np.linspace(-0.3, 0.4, 6)
    linear = 1.35 + district_effect[district] + psu_effect[psu] - 0.35 * online + age_effect[age]
    satisfied = (rng.random(rows) < 1.0 / (1.0 + np.exp(-linear))).astype(np.int64)
    weight = psu_base_weight[psu] * rng.lognormal(0.0, 0.25, size=rows)

    psu_labels = np.array(
        [f"{DISTRICTS[d]}-P{k + 1:02d}" for d in range(len(DISTRICTS)) for k in range(PSUS_PER_DISTRICT)],
        dtype=object,
    )
    strings = string_dtype(strings)
    return pd.DataFrame(
        {
            "district": pd.array(np.array(DISTRICTS, dtype=object)[district], dtype=strings),
            "psu": pd.array(psu_labels[psu], dtype=strings),
            "mode": pd.array(np.array(MODES, dtype=object)[online.astype(np.int64)], dtype=strings),
            "sex": pd.array(np.array(SEXES, dtype=object)[sex], dtype=strings),
            "age_group": pd.array(np.array(AGE_GROUPS, dtype=object)[age], dtype=strings),
            "satisfied": satisfied,
            "weight": weight,
        }
    )


MODEL_WORKLOADS = ("logistic", "chisq")  # the workloads that run on make_model_survey
MODEL_COVARIATES = ["wait_days", "trust", "contacts"]
# The logistic-regression workload: satisfied ~ mode + sex + age_group + the three numeric covariates,
# 10 coefficients besides the intercept (reference levels: online, female, 18-29 — each sorted first).
MODEL_TERMS = ["(Intercept)", "modepaper", "sexmale", "age_group30-39", "age_group40-49", "age_group50-59",
               "age_group60-69", "age_group70+", *MODEL_COVARIATES]


def make_model_survey(rows: int, seed: int = SEED, strings: str = "object") -> pd.DataFrame:
    """:func:`make_survey` plus three numeric covariates for the model workloads (the survey columns are
    identical, the covariates come from a second stream seeded from ``seed``): ``wait_days`` (days waited
    for a reply, gamma), ``trust`` (a standardised score, higher among the satisfied) and ``contacts``
    (Poisson count)."""
    frame = make_survey(rows, seed, strings)
    rng = np.random.default_rng([seed, 16])
    satisfied = frame["satisfied"].to_numpy()
    frame["wait_days"] = rng.gamma(2.0, 3.0, size=rows) - 1.5 * satisfied
    frame["trust"] = rng.normal(0.0, 1.0, size=rows) + 0.6 * satisfied
    frame["contacts"] = rng.poisson(1.2, size=rows).astype(float)
    return frame


STRINGS = ("object", "arrow")


def string_dtype(strings: str = "object"):
    """The dtype of the string columns, pinned so that every tool starts from the same DataFrame.

    ``object``: pandas' ``str`` with Python storage (each value a Python string object; pandas < 3: plain
    object columns). ``arrow``: the same values stored in Arrow (``pd.StringDtype("pyarrow")``), pandas 3's
    default for text when pyarrow is installed: what a user who reads a CSV with pyarrow present holds.
    """
    if strings == "arrow":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise RuntimeError("--strings arrow needs pyarrow in this environment (pip install pyarrow)") from None
        return pd.StringDtype(storage="pyarrow", na_value=np.nan)
    if strings != "object":
        raise ValueError(f"strings must be one of {STRINGS}; got {strings!r}")
    try:
        return pd.StringDtype(storage="python", na_value=np.nan)
    except TypeError:
        return object


def population_margins(frame: pd.DataFrame, alternative: bool = False) -> dict[str, pd.Series]:
    """Population counts per category for district, sex and age group, sharing one grand total.

    The grand total is the sum of the frame's weights (so the raking factors stay near 1); the
    shares are fixed (``alternative=True``: a second set, for re-raking).
    """
    total = float(frame["weight"].sum())
    shares = (
        (_ALT_DISTRICT_SHARES, _ALT_SEX_SHARES, _ALT_AGE_SHARES)
        if alternative
        else (_DISTRICT_SHARES, _SEX_SHARES, _AGE_SHARES)
    )
    margins = {}
    for variable, categories, share in zip(("district", "sex", "age_group"), (DISTRICTS, SEXES, AGE_GROUPS), shares):
        margins[variable] = pd.Series(total * share / share.sum(), index=pd.Index(categories, name=variable), name=variable)
    return margins


def frame_checksum(frame: pd.DataFrame) -> str:
    """A short digest of the frame's values and dtypes (string storage included)."""
    digest = hashlib.sha256()
    for column in frame.columns:
        dtype = frame[column].dtype
        digest.update(f"{column}:{dtype}:{getattr(dtype, 'storage', '')}".encode())
        values = frame[column].to_numpy()
        if values.dtype.kind in "fi":
            digest.update(np.ascontiguousarray(values).tobytes())
        else:
            digest.update("\x1f".join(map(str, values)).encode())
    return digest.hexdigest()[:16]


def write_csv(frame: pd.DataFrame, path) -> None:
    """The shared file for tools outside Python (R): weights written with full precision."""
    frame.to_csv(path, index=False, float_format="%.17g")


def write_margins_csv(margins: dict[str, pd.Series], path) -> None:
    """Margins in long form: variable, category, population."""
    rows = [(variable, category, float(value)) for variable, series in margins.items() for category, value in series.items()]
    pd.DataFrame(rows, columns=["variable", "category", "population"]).to_csv(path, index=False, float_format="%.17g")
