"""The design's public interface, as typing Protocols: what the estimators and the weighting functions may use.

The design is the hub (:mod:`surveys.design`): its classes call the estimators (:mod:`surveys.estimation`) and
the weighting functions (:mod:`surveys.weighting`), which in turn work on any design through this small interface
and import no design class. A type checker holds both sides to it: :class:`~surveys.design.SurveyDesign` is a
:class:`LinearizationDesign` and :class:`~surveys.design.ReplicateDesign` a :class:`ReplicateWeightsDesign`;
code that needs more of a design than :class:`Design` branches on ``is_replicate``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, Sequence, TypeVar

if TYPE_CHECKING:  # the names only, for the annotations: no runtime import of the heavy libraries
    import numpy as np
    import pandas as pd

__all__ = ["Design", "LinearizationDesign", "ReplicateWeightsDesign", "DesignT"]


class Design(Protocol):
    """What every design offers: its data, weights and weighting record, and the domain machinery.

    ``weights`` are the analysis weights, full length, zero outside the domain of a ``subset()``;
    ``adjustments`` the weighting steps applied so far (each with its variance recipe and diagnostics);
    ``domain_mask`` the rows of the subset (None: every row); ``column_codes(column)`` a column's integer codes in
    the sorted order of its values (−1 = missing) with the values, encoded once per design (``encode_columns``:
    several at once); ``with_weights`` a new design sharing this one's structure with new weights and an adjustment
    appended (a replicate design also takes the new replicate weights: ``with_weights(weights, replicate_weights,
    adjustment)``).
    """

    @property
    def is_replicate(self) -> bool: ...

    @property
    def data(self) -> pd.DataFrame: ...

    @property
    def weights(self) -> np.ndarray: ...

    @property
    def adjustments(self) -> tuple[Any, ...]: ...

    @property
    def domain_mask(self) -> np.ndarray | None: ...

    @property
    def rows(self) -> int: ...

    @property
    def rows_in_design(self) -> np.ndarray: ...

    @property
    def degrees_of_freedom(self) -> float: ...

    def column_codes(self, column: str) -> tuple[np.ndarray, np.ndarray]: ...

    def encode_columns(self, columns: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]: ...

    def analysis_weights(self) -> np.ndarray: ...

    def domain_degrees_of_freedom(self, domain: np.ndarray, domains: int) -> np.ndarray: ...

    def domain_rows(self, domain_rows: np.ndarray) -> np.ndarray: ...

    def subset(self, mask: Any) -> Any: ...

    def by(self, by: str | Sequence[str]) -> Any: ...

    def with_columns(self, **columns: Any) -> Any: ...

    # the two design kinds take different arguments (see the class docstring)
    @property
    def with_weights(self) -> Any: ...


class LinearizationDesign(Design, Protocol):
    """A design whose variances come from influence values (strata, sampling units, fpc: R ``svydesign``)."""

    @property
    def sampled_degrees_of_freedom(self) -> float: ...

    def domain_variance(self, x: np.ndarray, domain: np.ndarray, domains: int) -> np.ndarray: ...

    def influence_covariance(self, influence: np.ndarray) -> np.ndarray: ...


class ReplicateWeightsDesign(Design, Protocol):
    """A design whose variances come from replicate weights (R ``svrepdesign``)."""

    @property
    def replicate_weights(self) -> np.ndarray: ...

    def replicate_totals(self, values: np.ndarray, domain: np.ndarray, domains: int) -> np.ndarray: ...

    def replicate_variance(self, replicates: np.ndarray, estimate: np.ndarray) -> np.ndarray: ...

    def replicate_covariance(self, replicates: np.ndarray, estimate: np.ndarray) -> np.ndarray: ...


#: a design, returned as the same kind of design it came in as
DesignT = TypeVar("DesignT", bound=Design)
