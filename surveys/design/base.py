"""The design as the hub: what the design classes share, and the methods that call the estimators and the
weighting functions (R ``survey``'s design object with ``svymean``, ``svyby``, ``rake`` … as methods).

The estimators (:mod:`surveys.estimation`) and the weighting functions (:mod:`surveys.weighting`) work on any
design through its small public interface — ``data``, ``weights``, ``analysis_weights()``, ``domain_mask``,
``column_codes()``, ``encode_columns()``, ``domain_variance()``, ``domain_degrees_of_freedom()``, ``domain_rows()``,
``replicate_totals()`` / ``replicate_variance()`` (replicate designs), ``with_weights()`` and ``adjustments`` —
and import no design class; the design classes (:mod:`surveys.design.taylor`, :mod:`surveys.design.replicate`)
build on them. The interface is written down as typing Protocols in :mod:`surveys.design_interface`.
"""
from __future__ import annotations

import copy
from typing import Any, Sequence

import numpy as np
import pandas as pd

from surveys.columns import factorize_columns, require_columns
from surveys.design_interface import DesignT
from surveys.errors import DesignError
from surveys.estimation.estimators import (
    Domains,
    estimate_mean,
    estimate_proportion,
    estimate_quantile,
    estimate_ratio,
    estimate_total,
    whole_design,
)
from surveys.estimation.results import Estimate
from surveys.weighting import methods as weighting

__all__ = ["DesignMethods"]


def own_rows(data: pd.DataFrame) -> pd.DataFrame:
    """The design's own copy of the rows, as R's ``svydesign`` keeps its own: a caller who edits ``data`` in
    place afterwards changes neither the estimates nor the codes the design keeps (strata, PSUs, raking cells).
    With copy-on-write (pandas 3, or turned on in pandas 2) the copy is shallow and costs nothing until
    someone writes; without it the values are copied."""
    lazy = int(pd.__version__.split(".")[0]) >= 3 or pd.get_option("mode.copy_on_write") is True
    return data.copy(deep=not lazy)

class DesignMethods:
    """What both design classes share: their public state, the interface the estimators and the weighting
    functions use, and the R-like methods (``mean``, ``proportion``, ``by``, ``rake`` …) that call them.

    A design keeps its data in ``_data``, full-sample weights in ``_base_weights``, a domain mask in ``_mask``
    (None for the whole sample), encoded columns in ``_column_cache`` and its weighting record in
    ``_adjustments``; derived designs are shallow copies with some of these replaced (:meth:`_derive`), so they
    share the encoded structure.
    """

    _data: pd.DataFrame
    _base_weights: np.ndarray
    _mask: np.ndarray | None
    _adjustments: tuple[Any, ...]
    _column_cache: dict[str, tuple[np.ndarray, np.ndarray]]
    _df_cache: float | None

    def _derive(self, **changes: Any):
        clone = copy.copy(self)
        clone._df_cache = None
        for name, value in changes.items():
            setattr(clone, name, value)
        return clone

    @property
    def data(self) -> pd.DataFrame:
        return self._data

    @property
    def weights(self) -> np.ndarray:
        """Analysis weights, full length; zero outside the domain of a ``subset()``."""
        if self._mask is None:
            return self._base_weights
        return np.where(self._mask, self._base_weights, 0.0)

    @property
    def adjustments(self) -> tuple[Any, ...]:
        """The weighting adjustments applied so far, in order (their variance recipes and diagnostics)."""
        return self._adjustments

    # -- the interface of the estimators (surveys.estimation) and the weighting functions (surveys.weighting)
    @property
    def domain_mask(self) -> np.ndarray | None:
        """The rows of this design's ``subset`` (None: every row)."""
        return self._mask

    def column_codes(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """Integer codes of ``column`` in sorted order of its values (−1 = missing) and the values, encoded once
        per design and shared by the designs derived from it."""
        return self.encode_columns([column])[0]

    def encode_columns(self, columns: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """:meth:`column_codes` of several columns, those not encoded yet encoded together (Arrow-backed columns
        of a large frame on threads at once: :func:`surveys.columns.factorize_columns`)."""
        cache = self._column_cache
        missing = [column for column in dict.fromkeys(columns) if column not in cache]
        if missing:
            cache.update(zip(missing, factorize_columns(self.data, missing)))
        return [cache[column] for column in columns]

    def mean(self, variable: str, *, deff: Any = False, na_rm: bool = False, level: float = 0.95,
             df: float | None = None) -> Estimate:
        """Weighted mean Σwy/Σw with its design standard error (R ``svymean``)."""
        return estimate_mean(self, variable, whole_design(self), deff=deff, na_rm=na_rm, level=level, df=df)[0]

    def total(self, variable: str, *, deff: Any = False, na_rm: bool = False, level: float = 0.95,
              df: float | None = None) -> Estimate:
        """Weighted total Σwy with its design standard error (R ``svytotal``)."""
        return estimate_total(self, variable, whole_design(self), deff=deff, na_rm=na_rm, level=level, df=df)[0]

    def ratio(self, numerator: str, denominator: str, *, deff: Any = False, na_rm: bool = False,
              level: float = 0.95, df: float | None = None) -> Estimate:
        """Ratio of weighted totals Σwy/Σwz (R ``svyratio``)."""
        return estimate_ratio(self, numerator, denominator, whole_design(self), deff=deff, na_rm=na_rm, level=level,
                              df=df)[0]

    def proportion(self, variable: str, *, ci_method: str = "logit", level: float = 0.95, df: float | None = None,
                   na_rm: bool = False, deff: Any = False) -> Estimate:
        """Weighted proportion of a 0/1 column with an interval from the CI registry (R ``svyciprop``)."""
        return estimate_proportion(self, variable, whole_design(self), ci_method=ci_method, level=level, df=df,
                                   na_rm=na_rm, deff=deff)[0]

    def quantile(self, variable: str, quantile: float, *, rule: str = "math", level: float = 0.95,
                 na_rm: bool = False, df: float | None = None) -> Estimate:
        """Weighted quantile with a Woodruff interval (R ``svyquantile``)."""
        return estimate_quantile(self, variable, quantile, whole_design(self), rule=rule, level=level, na_rm=na_rm,
                                 df=df)[0]

    def subset(self, mask: Any):
        """A domain: rows outside ``mask`` keep their PSU and stratum but get weight zero.

        ``mask`` is a boolean array/Series (missing = outside) or the name of a boolean column.
        """
        data = self.data
        if isinstance(mask, str):
            require_columns(data, [mask], "subset")
            mask = data[mask]
        if isinstance(mask, pd.Series):
            if not mask.index.equals(data.index):
                mask = mask.reindex(data.index)
            mask = mask.to_numpy()
        values = np.asarray(mask)
        if values.shape != (len(data),):
            raise DesignError(f"expected a mask with one value per row ({len(data)}), found shape {values.shape}")
        if values.dtype == bool:
            selected = values
        else:
            missing = pd.isna(values)
            selected = np.zeros(len(values), dtype=bool)
            selected[~missing] = values[~missing].astype(bool)
        combined = selected if self._mask is None else (self._mask & selected)
        if not combined.any():
            raise DesignError("the subset selects no rows (a domain with no respondents); check the condition")
        return self._derive(_mask=combined)

    def by(self, by: str | Sequence[str]) -> "Domains":
        """Estimators per domain (every combination of the ``by`` columns present in the design)."""
        return Domains(self, by)

    def with_columns(self, **columns: Any):
        """The same design (rows, weights, domain, adjustments) with added or replaced columns.

        Each value is a Series aligned on the data's index, an array with one value per row, or a scalar.
        Use it for derived variables (satisfied indicators, scores) so weighting is kept: building a new
        design from ``data.assign(...)`` would drop the calibration record and its variance correction.
        """
        data = self.data
        for name, values in columns.items():
            if not isinstance(values, pd.Series) and np.ndim(values) == 1 and len(values) != len(data):
                raise DesignError(
                    f"column {name!r} has {len(values)} values; expected one per row of the design ({len(data)})"
                )
        cache = {name: codes for name, codes in self._column_cache.items() if name not in columns}
        return self._derive(_data=data.assign(**columns), _column_cache=cache)

    # weighting: the weighting functions do the work and return a new design (of the class of ``self``, which
    # offers the whole design interface: surveys.design_interface)
    def poststratify(self: DesignT, by: Any, population: Any, **kw: Any) -> DesignT:
        return weighting.poststratify(self, by, population, **kw)

    def rake(self: DesignT, margins: Any, **kw: Any) -> DesignT:
        return weighting.rake(self, margins, **kw)

    def calibrate(self: DesignT, totals: Any, **kw: Any) -> DesignT:
        return weighting.calibrate(self, totals, **kw)

    def trim_weights(self: DesignT, lower: float | None = None, upper: float | None = None,
                     strict: bool = False) -> DesignT:
        return weighting.trim_weights(self, lower=lower, upper=upper, strict=strict)
