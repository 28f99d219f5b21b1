"""samplics (archived; superseded by svy), with the calls of its README and API reference.

* overall: ``TaylorEstimator(PopParam.prop, ciprop_method="logit").estimate(y=..., samp_weight=...,
  stratum=..., psu=...)``; samplics takes the columns as arrays (PSU codes are used as given: they
  are unique across strata here, so nesting is implicit);
* domains: the same with ``domain=`` one key per district x mode (the key building is timed);
* bootstrap: ``ReplicateWeight(RepMethod.bootstrap, strat=True, nb_reps=200, rand_seed=1)
  .replicate(samp_weight, psu, stratum)`` (an n x 200 replicate-weight DataFrame), then
  ``ReplicateEstimator(RepMethod.bootstrap, PopParam.prop).estimate(y, samp_weight, rep_weights,
  rep_coefs=1/200)`` (samplics 0.6.1 drops its own bootstrap coefficients, so they are passed);
* raking: ``SampleWeight().rake(samp_weight, margins={variable: column}, control={variable:
  {category: count}}, tol=1e-6, ctrl_tol=1e-6, max_iter=1000)``;
* logistic: ``SurveyGLM(ModelType.LOGISTIC).estimate(y, x=dummies, samp_weight=, stratum=, psu=,
  add_intercept=True)`` (the dummy matrix of mode, sex and age group is built with ``pandas.get_dummies``
  inside the timed call, references sorted first as in R);
* chisq: ``CrossTabulation(PopParam.prop).tabulate(vars=[district, satisfied], samp_weight=, stratum=,
  psu=)``, its Rao-Scott adjusted Pearson F (``stats["Pearson-Adj"]``).
"""
from __future__ import annotations

import warnings
from importlib import metadata

import numpy as np
import pandas as pd

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)  # "samplics is archived" at import
    from samplics import PopParam, ReplicateEstimator, ReplicateWeight, RepMethod, SampleWeight, TaylorEstimator
    from samplics.categorical import CrossTabulation
    from samplics.regression.glm import SurveyGLM
    from samplics.utils.types import ModelType


def version() -> str:
    return f"samplics {metadata.version('samplics')}"


def _level_one(estimator, key=None):
    pick = (lambda mapping: mapping[key][1]) if key is not None else (lambda mapping: mapping[1])
    return {
        "estimate": float(pick(estimator.point_est)),
        "std_error": float(pick(estimator.stderror)),
        "ci_low": float(pick(estimator.lower_ci)),
        "ci_high": float(pick(estimator.upper_ci)),
    }


def overall(frame, spec):
    def run():
        estimator = TaylorEstimator(PopParam.prop, alpha=1 - spec["level"], ciprop_method="logit")
        estimator.estimate(y=frame["satisfied"], samp_weight=frame["weight"], stratum=frame["district"], psu=frame["psu"])
        return estimator

    return run, _level_one


def domains(frame, spec):
    def run():
        domain = frame["district"] + "|" + frame["mode"]
        estimator = TaylorEstimator(PopParam.prop, alpha=1 - spec["level"], ciprop_method="logit")
        estimator.estimate(
            y=frame["satisfied"], samp_weight=frame["weight"], stratum=frame["district"], psu=frame["psu"], domain=domain
        )
        return estimator

    def extract(estimator):
        rows = []
        for key in estimator.point_est:
            district, mode = str(key).split("|")
            rows.append({"district": district, "mode": mode, **_level_one(estimator, key)})
        return {"domains": rows}

    return run, extract


def bootstrap(frame, spec):
    replicates = spec["replicates"]

    def run():
        maker = ReplicateWeight(RepMethod.bootstrap, strat=True, nb_reps=replicates, rand_seed=spec["seed"])
        weights = maker.replicate(samp_weight=frame["weight"], psu=frame["psu"], stratum=frame["district"])
        columns = [column for column in weights.columns if column.startswith("_boot")]
        estimator = ReplicateEstimator(RepMethod.bootstrap, PopParam.prop)
        estimator.estimate(
            y=frame["satisfied"], samp_weight=frame["weight"], rep_weights=weights[columns].to_numpy(),
            rep_coefs=np.full(replicates, 1 / replicates),
        )
        return estimator

    def extract(estimator):
        return {"estimate": float(estimator.point_est[1]), "std_error": float(estimator.stderror[1])}

    return run, extract


def _control(margins):
    return {variable: {str(k): float(v) for k, v in series.items()} for variable, series in margins.items()}


def _rake(frame, control, tolerance, margins=None):
    margins = margins if margins is not None else {variable: frame[variable] for variable in control}
    return SampleWeight().rake(
        samp_weight=frame["weight"], margins=margins, control=control, tol=tolerance, ctrl_tol=tolerance, max_iter=1000
    )


def rake(frame, spec):
    control = _control(spec["margins"])
    return (lambda: _rake(frame, control, spec["tolerance"])), (lambda weights: {"weights": weights})


def rerake(frame, spec):
    columns = {variable: frame[variable].to_numpy() for variable in spec["margins"]}
    _rake(frame, _control(spec["margins"]), spec["tolerance"], columns)
    control = _control(spec["alternative_margins"])
    return (lambda: _rake(frame, control, spec["tolerance"], columns)), (lambda weights: {"weights": weights})


_NUMERIC = ["wait_days", "trust", "contacts"]


def logistic(frame, spec):
    def run():
        dummies = pd.get_dummies(frame[["mode", "sex", "age_group"]], drop_first=True).astype(float)
        x = np.column_stack([dummies.to_numpy(), frame[_NUMERIC].to_numpy(dtype=float)])
        model = SurveyGLM(ModelType.LOGISTIC)
        model.estimate(y=frame["satisfied"].to_numpy(), x=x, samp_weight=frame["weight"].to_numpy(),
                       stratum=frame["district"].to_numpy(dtype=object), psu=frame["psu"].to_numpy(dtype=object),
                       add_intercept=True)
        return model, ["(Intercept)", *[name.replace("_", "", 1) if name.startswith(("mode_", "sex_")) else
                                        name.replace("age_group_", "age_group") for name in dummies.columns], *_NUMERIC]

    def extract(result):
        model, names = result
        return {"terms": [{"term": name, "estimate": float(b), "std_error": float(se)}
                          for name, b, se in zip(names, model.beta["point_est"], model.beta["stderror"])]}

    return run, extract


def chisq(frame, spec):
    def run():
        table = CrossTabulation(PopParam.prop)
        variables = pd.DataFrame({"district": frame["district"].astype(object),
                                  "satisfied": frame["satisfied"].astype(str).astype(object)})
        table.tabulate(vars=variables, samp_weight=frame["weight"].to_numpy(),
                       stratum=frame["district"].to_numpy(dtype=object), psu=frame["psu"].to_numpy(dtype=object))
        return table

    def extract(table):
        adjusted = table.stats["Pearson-Adj"]
        return {"statistic": float(adjusted["f_value"]), "p_value": float(adjusted["p_value"]),
                "ndf": float(adjusted["df_num"])}

    return run, extract


WORKLOADS = {"overall": overall, "domains": domains, "bootstrap": bootstrap, "rake": rake, "rerake": rerake,
             "logistic": logistic, "chisq": chisq}
