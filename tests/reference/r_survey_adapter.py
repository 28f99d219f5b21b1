"""Run an R ``survey`` reference case (cases.json schema, see r_survey/README.md) through ``surveys``.

``run_case(case, data_dir)`` reads only the case's DESIGN SPEC and ESTIMATOR fields (never its id or
group), builds the design with the public API, applies the listed adjustments, calls the estimator and
returns the result fields ``check_reference.py`` compares. ``data_dir`` is one folder holding every file
the case names. Cases whose adjustment the weighting module cannot do yet return
``{"not_supported": reason}``.

Estimators: ``svymean``, ``svytotal``, ``svyratio``, ``svyciprop``, ``svyquantile``, ``svyby``
(r_survey/README.md) and the models and tests of r_survey_models/README.md — ``svyglm`` (gaussian and
quasibinomial: ``coef:``, ``se:``, ``t:``, ``p:``, ``ci_low:``, ``ci_high:`` and ``or*:`` per term, ``df``,
``df_summary``, ``design_df``, ``design_df_used``, ``n_coef``, ``n_used``, ``dispersion``), ``svychisq``
(``statistic``, ``p_value``, ``ndf``/``ddf`` or ``df``, ``pearson_X2``, ``nu``, ``n_rows``), ``svyttest``,
``svycontrast`` (``estimate_<level>``, ``se_<level>``, ``cov_<a>_<b>``), and, for the extra cases,
``regTermTest`` and ``svycralpha``.
"""
from __future__ import annotations

import math
import pathlib
import re
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

import surveys
from surveys.estimation import (
    association_test,
    cronbach_alpha,
    difference_test,
    domain_means,
    regression,
)

__all__ = ["run_case", "parse_condition"]

_CONDITION = re.compile(r"^\s*([A-Za-z_.][\w.]*)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$")
_OPERATORS = {
    "==": np.equal, "!=": np.not_equal, "<=": np.less_equal, ">=": np.greater_equal, "<": np.less, ">": np.greater,
}


def _literal(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text in ("TRUE", "True", "true"):
        return True
    if text in ("FALSE", "False", "false"):
        return False
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"cannot read the value {text!r} in a condition") from None


def parse_condition(expression: str, data: pd.DataFrame) -> np.ndarray:
    """Boolean mask of ``col OP value`` terms joined by ``&`` (a tiny parser: no eval)."""
    mask = np.ones(len(data), dtype=bool)
    for term in expression.split("&"):
        match = _CONDITION.match(term)
        if not match:
            raise ValueError(f"cannot parse the condition {term!r}; expected `column == value`")
        column, operator, raw = match.groups()
        value = _literal(raw)
        series = data[column]
        if isinstance(value, str):
            values = series.astype(object).to_numpy()
            result = _OPERATORS[operator](values.astype(str), value) & series.notna().to_numpy()
        else:
            numbers = series.to_numpy(dtype=float, na_value=np.nan)
            with np.errstate(invalid="ignore"):
                result = _OPERATORS[operator](numbers, float(value)) & ~np.isnan(numbers)
        mask &= np.asarray(result, dtype=bool)
    return mask


def _read(data_dir: pathlib.Path, name: str) -> pd.DataFrame:
    return pd.read_csv(data_dir / name, keep_default_na=True, na_values=["NA"])


def _number(value: Any) -> float:
    """A number of the case file ("Inf"/"-Inf" strings allowed)."""
    if isinstance(value, str):
        text = value.strip()
        return {"Inf": math.inf, "+Inf": math.inf, "-Inf": -math.inf}.get(text) or float(text)
    return float(value)


def _replicate_columns(frame: pd.DataFrame, prefix: str) -> list[str]:
    columns = [c for c in frame.columns if c.startswith(prefix) and c[len(prefix):].isdigit()]
    return sorted(columns, key=lambda c: int(c[len(prefix):]))


def _build_design(spec: dict, data: pd.DataFrame, data_dir: pathlib.Path, lonely_psu: str):
    if spec["kind"] == "replicate":
        source = data if spec["repweights_file"] == spec["data"] else _read(data_dir, spec["repweights_file"])
        if len(source) != len(data):
            raise ValueError("replicate-weight file and data differ in rows")
        for key in ("snum", "row_id"):
            if key in source.columns and key in data.columns and not (source[key].to_numpy() == data[key].to_numpy()).all():
                raise ValueError(f"replicate-weight file is not aligned with the data on {key}")
        columns = _replicate_columns(source, spec["repweights_prefix"])
        return surveys.ReplicateDesign(
            data,
            weights=spec.get("weights"),
            replicate_weights=source[columns].to_numpy(dtype=float),
            type=spec["type"],
            scale=spec.get("scale"),
            rscales=spec.get("rscales"),
            fay_rho=spec.get("fay_rho"),
            mse=bool(spec.get("mse", False)),
            combined_weights=bool(spec.get("combined_weights", True)),
        )
    ids = spec.get("ids") or None
    fpc = spec.get("fpc") or None
    return surveys.SurveyDesign(
        data, ids=ids, strata=spec.get("strata"), weights=spec.get("weights"), fpc=fpc,
        nest=bool(spec.get("nest", False)), lonely_psu=lonely_psu,
    )


def _apply_adjustment(design: Any, adjustment: dict) -> Any:
    kind = adjustment["type"]
    if kind == "postStratify":
        by = adjustment["by"]
        return design.poststratify(by[0] if isinstance(by, list) and len(by) == 1 else by, adjustment["population"])
    if kind == "rake":
        margins = {m["by"] if isinstance(m["by"], str) else m["by"][0]: m["population"] for m in adjustment["margins"]}
        control = adjustment.get("control") or {}
        return design.rake(margins, max_iterations=int(control.get("maxit", 10)), epsilon=control.get("epsilon", 1))
    if kind == "calibrate":
        options: dict[str, Any] = {"calfun": adjustment.get("calfun", "linear")}
        bounds = adjustment.get("bounds")
        if bounds is not None:
            low, high = (_number(b) for b in bounds)
            if math.isfinite(low) or math.isfinite(high):
                options["bounds"] = (low, high)
        if adjustment.get("trim") is not None:
            options["trim"] = tuple(_number(t) for t in adjustment["trim"])
        return design.calibrate(adjustment["population"], **options)
    if kind == "trimWeights":
        lower = adjustment.get("lower")
        upper = adjustment.get("upper")
        lower = None if lower is None or not math.isfinite(_number(lower)) else _number(lower)
        upper = None if upper is None or not math.isfinite(_number(upper)) else _number(upper)
        return design.trim_weights(lower=lower, upper=upper, strict=bool(adjustment.get("strict", False)))
    raise ValueError(f"unknown adjustment type {kind!r}")


def _df_option(value: Any) -> float | None:
    if value is None or isinstance(value, str):
        return None  # "degf(design)": the design's own degrees of freedom
    return float(value)


def _deff_option(value: Any) -> Any:
    if isinstance(value, str) and value.strip().strip('"') == "replace":
        return "replace"
    return True


def _wald(estimate: Any, df: float) -> dict:
    t = float(stats.t.ppf(0.975, df)) if df > 0 else math.nan
    return {"ci_low_t": estimate.estimate - t * estimate.std_error, "ci_high_t": estimate.estimate + t * estimate.std_error}


def _target_fields(estimate: Any, target: float) -> dict:
    """The target80 fields, computed by the toolkit's own verdict function (surveys.check_target)."""
    at_least = surveys.check_target(estimate, target, comparison=">=")
    strictly_above = surveys.check_target(estimate, target, comparison=">")
    p_value = at_least.p_value
    two_sided = 2.0 * float(stats.t.sf(abs(at_least.t_statistic), at_least.df))  # R: 2 * pt(-|t|, df)
    return {
        "target": target,
        "moe_z95": float(stats.norm.ppf(0.975)) * estimate.std_error,
        "moe_t95": at_least.margin_of_error,
        "t_stat": at_least.t_statistic,
        "p_value_two_sided_t": two_sided,
        "p_value_one_sided_greater_t": p_value,
        "estimate_meets_target": bool(estimate.estimate >= target),
        "ci_low_t_above_target": strictly_above.verdict == "met",
        "ci_high_t_below_target": at_least.verdict == "not_met",
        "ci_low_t": at_least.ci_low,
        "ci_high_t": at_least.ci_high,
    }


def _weight_fields(weights: np.ndarray) -> dict:
    rounded = np.array([float(f"{w:.10g}") for w in weights])
    return {
        "weights_sum": float(weights.sum()), "weights_min": float(weights.min()), "weights_max": float(weights.max()),
        "weights_mean": float(weights.mean()), "weights_sd": float(weights.std(ddof=1)),
        "weights_n_distinct": int(len(np.unique(rounded))), "weights": [float(w) for w in weights],
    }


def _core(estimate: Any) -> dict:
    result = {"estimate": estimate.estimate, "se": estimate.std_error, "ci_low": estimate.ci_low, "ci_high": estimate.ci_high}
    if not math.isnan(estimate.design_effect):
        result["deff"] = estimate.design_effect
    return result


def run_case(case: dict, data_dir: pathlib.Path) -> dict:
    """Map one case onto the public API and return the fields check_reference.py compares."""
    data_dir = pathlib.Path(data_dir)
    spec, estimator = case["design"], case["estimator"]
    data = _read(data_dir, spec["data"])
    if spec.get("row_filter"):
        data = data.loc[parse_condition(spec["row_filter"], data)].reset_index(drop=True)
    variable = estimator.get("variable")
    if estimator.get("factor_level") is not None:
        level_column = f"{variable}=={estimator['factor_level']}"
        data[level_column] = np.where(data[variable].isna(), np.nan,
                                      (data[variable].astype(str) == str(estimator["factor_level"])).astype(float))
        variable = level_column
    design = _build_design(spec, data, data_dir, estimator.get("lonely_psu") or "fail")

    adjustments = spec.get("adjustments") or []
    for adjustment in adjustments:
        try:
            design = _apply_adjustment(design, adjustment)
        except (ImportError, AttributeError, NotImplementedError) as error:
            return {"not_supported": f"{adjustment['type']}: {type(error).__name__}: {error}"}
    if spec.get("domain"):
        design = design.subset(parse_condition(spec["domain"], design.data))

    function = estimator["function"]
    na_rm = bool(estimator.get("na_rm", False))
    level = float(estimator.get("level", 1 - float(estimator.get("alpha", 0.05))))
    df_option = _df_option(estimator.get("df"))
    result: dict[str, Any]
    if function in ("svymean", "svytotal", "svyratio"):
        deff = _deff_option(estimator.get("deff"))
        if function == "svymean":
            estimate = design.mean(variable, deff=deff, na_rm=na_rm)
        elif function == "svytotal":
            estimate = design.total(variable, deff=deff, na_rm=na_rm)
        else:
            estimate = design.ratio(*_ratio_variables(estimator, variable), deff=deff, na_rm=na_rm)
        design_df = estimate.extras["design_df"]
        result = _core(estimate)
        result["df"] = design_df
        result.update(_wald(estimate, design_df))
        if estimator.get("target") is not None:
            result.update(_target_fields(estimate, float(estimator["target"])))
    elif function == "svyciprop":
        estimate = design.proportion(variable, ci_method=estimator.get("method", "logit"), level=level,
                                     df=df_option, na_rm=na_rm)
        result = _core(estimate)
        result["df"] = estimate.extras["design_df"]
    elif function == "svyquantile":
        estimate = design.quantile(variable, float(estimator["quantile"]), rule=estimator.get("qrule", "math"),
                                   level=level, na_rm=na_rm, df=df_option)
        result = _core(estimate)
        result["df"] = estimate.extras["design_df"]
    elif function == "svyby":
        result = _by_case(design, estimator, variable, na_rm)
    elif function == "svyglm":
        result = _glm_case(design, estimator)
    elif function == "svychisq":
        result = _chisq_case(design, estimator)
    elif function == "svyttest":
        result = _ttest_case(design, estimator)
    elif function == "svycontrast":
        result = _contrast_case(design, estimator)
    elif function == "svycralpha":
        alpha = cronbach_alpha(design, _formula_variables(estimator["formula"]))
        result = {"estimate": alpha.estimate}
    elif function == "regTermTest":
        model = regression(design, estimator["formula"], family=estimator.get("family", "gaussian"))
        test = model.term_test(estimator["test_terms"])
        result = {"estimate": test.statistic, "statistic": test.statistic, "ndf": test.ndf, "ddf": test.ddf,
                  "chi_square": test.chi_square, "p_value": test.p_value}
    else:
        return {"not_supported": f"estimator function {function!r}"}
    if adjustments:
        weights = np.asarray(design.weights, dtype=float)
        fields = _weight_fields(weights)
        if not spec.get("weights_ref"):
            fields.pop("weights")
        result.update(fields)
    return result


def _same(value: Any, wanted: Any) -> bool:
    try:
        return float(value) == float(wanted)
    except (TypeError, ValueError):
        return str(value) == str(wanted)


def _ratio_variables(estimator: dict, variable: Any) -> tuple[str, str]:
    """Numerator and denominator of a svyratio case: explicit fields, or variable "y/z" / [y, z]."""
    numerator = estimator.get("numerator") or variable
    denominator = None
    for key in ("denominator", "denominator_variable", "den"):
        if estimator.get(key):
            denominator = estimator[key]
    if denominator is None and isinstance(numerator, (list, tuple)) and len(numerator) == 2:
        numerator, denominator = numerator
    if denominator is None and isinstance(numerator, str) and "/" in numerator:
        numerator, denominator = numerator.split("/", 1)
    if denominator is None:
        raise ValueError("a svyratio case needs a denominator")
    return str(numerator).strip().lstrip("~"), str(denominator).strip().lstrip("~")


def _by_case(design: Any, estimator: dict, variable: str, na_rm: bool) -> dict:
    by = estimator["by"]
    columns = [by] if isinstance(by, str) else list(by)
    function = str(estimator.get("FUN", "svymean"))
    domains = design.by(columns)
    match = re.match(r"svyciprop(?:\((\w+)\))?", function)
    if match:
        table = domains.proportion(variable, ci_method=match.group(1) or "logit", na_rm=na_rm)
    elif function == "svytotal":
        table = domains.total(variable, deff=_deff_option(estimator.get("deff")), na_rm=na_rm)
    elif function == "svyratio":
        table = domains.ratio(*_ratio_variables(estimator, variable),
                              deff=_deff_option(estimator.get("deff")), na_rm=na_rm)
    elif function == "svyquantile":
        table = domains.quantile(variable, float(estimator["quantile"]), rule=estimator.get("qrule", "math"), na_rm=na_rm)
    else:
        table = domains.mean(variable, deff=_deff_option(estimator.get("deff")), na_rm=na_rm)
    wanted = estimator["by_value"]
    if isinstance(wanted, str) and len(columns) > 1:
        wanted = wanted.split(".")  # R's svyby row name: levels joined by "."
    wanted = wanted if isinstance(wanted, list) else [wanted]
    for row in table:
        if all(_same(row.domain[c], v) for c, v in zip(columns, wanted)):
            result = _core(row)
            z = float(stats.norm.ppf(0.975))
            if match:
                result["confint_wald_low"] = row.estimate - z * row.std_error
                result["confint_wald_high"] = row.estimate + z * row.std_error
            return result
    raise ValueError(f"domain {wanted!r} not found among {[dict(r.domain) for r in table]}")


# ------------------------------------------------------------------------------------------------
# models and tests (tests/reference/r_survey_models/README.md)
def _glm_case(design: Any, estimator: dict) -> dict:
    model = regression(design, estimator["formula"], family=estimator.get("family", "gaussian"),
                       level=float(estimator.get("level", 0.95)), levels=estimator.get("factor_levels"))
    result: dict[str, Any] = {}
    for coefficient in model.coefficients:
        term = coefficient.term
        result.update({
            f"coef:{term}": coefficient.estimate, f"se:{term}": coefficient.std_error,
            f"t:{term}": coefficient.t_statistic, f"p:{term}": coefficient.p_value,
            f"ci_low:{term}": coefficient.ci_low, f"ci_high:{term}": coefficient.ci_high,
        })
        if model.link == "logit":
            result.update({f"or:{term}": coefficient.odds_ratio, f"or_ci_low:{term}": coefficient.odds_ratio_ci_low,
                           f"or_ci_high:{term}": coefficient.odds_ratio_ci_high})
    primary = model.coefficient(estimator.get("primary_term") or model.terms[-1])
    result.update({
        "estimate": primary.estimate, "se": primary.std_error, "df": model.df, "df_summary": model.df,
        "design_df": model.design_df, "design_df_used": model.design_df_used, "n_coef": len(model.coefficients),
        "n_used": model.rows_used,
    })
    if not math.isnan(model.dispersion):
        result["dispersion"] = model.dispersion
    return result


def _formula_variables(formula: str) -> list[str]:
    """The variables of ``~a + b`` or ``y ~ g`` (backquotes removed), in order."""
    return [part.strip().strip("`") for part in re.split(r"[~+]", formula) if part.strip()]


def _chisq_case(design: Any, estimator: dict) -> dict:
    row, column = _formula_variables(estimator["formula"])
    test = association_test(design, row, column, statistic=estimator.get("statistic", "F"))
    result = {"estimate": test.statistic, "statistic": test.statistic, "p_value": test.p_value,
              "pearson_X2": test.pearson_chi_square, "nu": test.design_df, "n_rows": test.rows}
    if not math.isnan(test.ndf):
        result.update({"ndf": test.ndf, "ddf": test.ddf})
    if not math.isnan(test.df):
        result["df"] = test.df
    return result


def _ttest_case(design: Any, estimator: dict) -> dict:
    variable, group = _formula_variables(estimator["formula"])
    difference = difference_test(design, variable, group, level=float(estimator.get("level", 0.95)))
    return {"estimate": difference.difference, "se": difference.std_error, "statistic": difference.t_statistic,
            "df": difference.df, "p_value": difference.p_value, "ci_low": difference.ci_low,
            "ci_high": difference.ci_high}


def _contrast_expression(text: str) -> tuple[str, Any]:
    """``E / M`` → ("ratio", (E, M)); ``E - M``, ``2*E + M`` → ("linear", {level: coefficient})."""
    text = text.replace("`", "").strip()
    if "/" in text:
        numerator, denominator = (part.strip() for part in text.split("/", 1))
        return "ratio", (numerator, denominator)
    coefficients: dict[str, float] = {}
    for sign, factor, name in re.findall(r"([+-]?)\s*(?:([\d.]+)\s*\*\s*)?([^\s+*/-]+)", text):
        value = float(factor) if factor else 1.0
        coefficients[name] = coefficients.get(name, 0.0) + (-value if sign == "-" else value)
    return "linear", coefficients


def _design_subset(design: Any, condition: Any) -> Any:
    """``by_call.design_subset``: R's ``subset(d, cond)`` (``!is.na(x)``, ``is.na(x)`` or ``col == value``),
    given as the condition or as the whole ``subset(d, cond)`` call."""
    text = condition if isinstance(condition, str) else next(
        (v for v in (condition or {}).values() if isinstance(v, str)), "")
    call = re.fullmatch(r"\s*subset\(\s*[\w.]+\s*,\s*(.+)\)\s*", text)
    if call:
        text = call.group(1)
    match = re.fullmatch(r"\s*(!?)\s*is\.na\(\s*`?([^`)]+)`?\s*\)\s*", text)
    if match:
        present = design.data[match.group(2)].notna().to_numpy()
        return design.subset(present if match.group(1) else ~present)
    return design.subset(parse_condition(text, design.data))


def _contrast_case(design: Any, estimator: dict) -> dict:
    by_call = estimator["by_call"]
    if by_call.get("design_subset"):
        design = _design_subset(design, by_call["design_subset"])
    means = domain_means(design, by_call["variable"], by_call["by"], na_rm=bool(by_call.get("na_rm", False)))
    if estimator.get("expression"):
        kind, parts = _contrast_expression(estimator["expression"])
        contrast = means.ratio(*parts) if kind == "ratio" else means.contrast(parts)
    else:
        contrast = means.contrast({str(k): float(v) for k, v in estimator["contrast"].items()})
    result = {"estimate": contrast.estimate, "se": contrast.std_error, "ci_low": contrast.ci_low,
              "ci_high": contrast.ci_high}
    for i, level in enumerate(means.levels):
        result[f"estimate_{level}"] = float(means.estimates[i])
        result[f"se_{level}"] = float(means.std_errors[i])
        for j, other in enumerate(means.levels):
            if i != j:
                result[f"cov_{level}_{other}"] = float(means.covariance[i, j])
    return result
