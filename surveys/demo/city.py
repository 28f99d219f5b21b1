"""The population of the demo city: residents, enterprises and proposals, as tables and margins.

The tables are fixed by :mod:`surveys.demo.scenario` (no randomness): every seed surveys the same
city, so the true population rates do not depend on the seed. Counts are rounded with the largest-
remainder method so that every table adds up exactly to its scenario total.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from surveys.demo import scenario

__all__ = ["CityPopulation", "build_city", "largest_remainder"]


@dataclass(frozen=True)
class CityPopulation:
    """The demo city's population tables (tidy DataFrames, one row per cell)."""

    residents: pd.DataFrame    # district, district_name, urban, sex, age_group, population
    enterprises: pd.DataFrame  # district, district_name, respondent_type (2 企业, 3 个体工商户, 4 其他组织), enterprise_size, entities
    proposals: pd.DataFrame    # deputy_type, department, proposals

    @property
    def adults(self) -> int:
        return int(self.residents["population"].sum())


def largest_remainder(total: int, shares) -> np.ndarray:
    """Integers proportional to ``shares`` that add up exactly to ``total`` (Hamilton's method)."""
    shares = np.asarray(shares, dtype=float)
    exact = total * shares / shares.sum()
    counts = np.floor(exact).astype(np.int64)
    short = int(total - counts.sum())
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:short]] += 1
    return counts


def _residents() -> pd.DataFrame:
    rows = []
    for district in scenario.DISTRICTS:
        age_shares = scenario.AGE_SHARES["urban" if district.urban else "county"]
        cell_shares = []
        for age_index, age_share in enumerate(age_shares):
            male = scenario.MALE_SHARE_BY_AGE[age_index]
            cell_shares += [age_share * male, age_share * (1 - male)]
        counts = largest_remainder(district.adults, cell_shares)
        for index, count in enumerate(counts):
            age_group = scenario.AGE_GROUPS[index // 2]
            rows.append((district.code, district.name, district.urban, 1 + index % 2, age_group, int(count)))
    return pd.DataFrame(rows, columns=["district", "district_name", "urban", "sex", "age_group", "population"])


def _enterprises() -> pd.DataFrame:
    rows = []
    for district in scenario.DISTRICTS:
        kind = "high_tech" if district.high_tech else ("urban" if district.urban else "county")
        totals = {2: (district.enterprises, scenario.ENTERPRISE_SIZE_SHARES[kind])}
        for respondent_type, per_enterprise in scenario.MARKET_ENTITIES_PER_ENTERPRISE.items():
            ratio = per_enterprise["urban" if district.urban else "county"]
            totals[respondent_type] = (int(round(district.enterprises * ratio)),
                                       scenario.MARKET_ENTITY_SIZE_SHARES[respondent_type])
        for respondent_type, (total, shares) in sorted(totals.items()):
            counts = largest_remainder(total, shares)
            for size, count in zip(scenario.ENTERPRISE_SIZES, counts):
                if count:
                    rows.append((district.code, district.name, respondent_type, size, int(count)))
    return pd.DataFrame(rows, columns=["district", "district_name", "respondent_type", "enterprise_size", "entities"])


def _proposals() -> pd.DataFrame:
    rows = []
    weights = scenario.PROPOSALS["department_weights"]
    for deputy_type, total in scenario.PROPOSALS["counts"].items():
        counts = largest_remainder(total, weights)
        for department, count in zip(scenario.DEPARTMENTS, counts):
            rows.append((deputy_type, department, int(count)))
    return pd.DataFrame(rows, columns=["deputy_type", "department", "proposals"])


def build_city() -> CityPopulation:
    """The population tables of 秦川市 as the scenario defines them."""
    return CityPopulation(residents=_residents(), enterprises=_enterprises(), proposals=_proposals())
