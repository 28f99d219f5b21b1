"""svy (https://svylab.com/docs; the successor of samplics): calls as documented in svy's own guides.

* design: ``svy.Sample(polars.from_pandas(frame), svy.Design(stratum="district", psu="psu",
  wgt="weight"))`` -- svy takes polars, not pandas, so the conversion is part of each timed call;
  PSU codes are nested in strata as with R's ``nest=TRUE``;
* overall: ``sample.estimation.prop("satisfied", ci_method="logit")`` (Taylor linearisation);
* domains: the same with ``by=("district", "mode")``;
* bootstrap: ``sample.weighting.create_bs_wgts(n_reps=200, rstate=1)`` (Rao-Wu) then
  ``.estimation.prop("satisfied", method="replication")``;
* raking: ``sample.weighting.rake(controls={variable: {category: count}}, tol=1e-6,
  max_iter=1000)``, ``tol`` being the largest relative misfit over all margin categories;
  re-raking calls ``rake`` again on an already-built ``Sample`` with the alternative margins;
* logistic: ``sample.glm.fit(y="satisfied", x=[svy.Cat("mode", ref="online"), svy.Cat("sex", ref="female"),
  svy.Cat("age_group", ref="18-29"), "wait_days", "trust", "contacts"], family="binomial")``;
* chisq: ``sample.categorical.tabulate("district", "satisfied")``, its Rao-Scott F (``.stats.f``).
"""
from __future__ import annotations

from importlib import metadata

import polars as pl
import svy


def version() -> str:
    return f"svy {metadata.version('svy')}, polars {pl.__version__}"


def _sample(frame):
    return svy.Sample(pl.from_pandas(frame), svy.Design(stratum="district", psu="psu", wgt="weight"))


def _level_one(table):
    row = table.filter(pl.col("satisfied") == 1).row(0, named=True)
    return {"estimate": row["est"], "std_error": row["se"], "ci_low": row["lci"], "ci_high": row["uci"]}


def overall(frame, spec):
    def run():
        return _sample(frame).estimation.prop("satisfied", ci_method="logit", alpha=1 - spec["level"])

    return run, lambda result: _level_one(result.to_polars())


def domains(frame, spec):
    def run():
        return _sample(frame).estimation.prop(
            "satisfied", by=("district", "mode"), ci_method="logit", alpha=1 - spec["level"]
        )

    def extract(result):
        table = result.to_polars().filter(pl.col("satisfied") == 1)
        return {
            "domains": [
                {"district": row["district"], "mode": row["mode"], "estimate": row["est"], "std_error": row["se"],
                 "ci_low": row["lci"], "ci_high": row["uci"]}
                for row in table.iter_rows(named=True)
            ]
        }

    return run, extract


def bootstrap(frame, spec):
    def run():
        replicated = _sample(frame).weighting.create_bs_wgts(n_reps=spec["replicates"], rstate=spec["seed"])
        return replicated.estimation.prop("satisfied", method="replication")

    return run, lambda result: _level_one(result.to_polars())


def _controls(margins):
    return {variable: {str(k): float(v) for k, v in series.items()} for variable, series in margins.items()}


def _weights(raked):
    return raked.data[raked.design.wgt].to_numpy()


def rake(frame, spec):
    controls = _controls(spec["margins"])

    def run():
        return _sample(frame).weighting.rake(controls=controls, tol=spec["tolerance"], max_iter=1000)

    return run, lambda raked: {"weights": _weights(raked)}


def rerake(frame, spec):
    sample = _sample(frame)
    sample.weighting.rake(controls=_controls(spec["margins"]), tol=spec["tolerance"], max_iter=1000)
    controls = _controls(spec["alternative_margins"])

    def run():
        return sample.weighting.rake(controls=controls, tol=spec["tolerance"], max_iter=1000)

    return run, lambda raked: {"weights": _weights(raked)}


_TERMS = {"_intercept_": "(Intercept)", "mode_paper": "modepaper", "sex_male": "sexmale"}


def logistic(frame, spec):
    predictors = [svy.Cat("mode", ref="online"), svy.Cat("sex", ref="female"), svy.Cat("age_group", ref="18-29"),
                  "wait_days", "trust", "contacts"]

    def run():
        return _sample(frame).glm.fit(y="satisfied", x=predictors, family="binomial")

    def extract(model):
        rows = model.to_polars().iter_rows(named=True)
        return {"terms": [{"term": _TERMS.get(row["term"], row["term"].replace("age_group_", "age_group")),
                           "estimate": row["estimate"], "std_error": row["std_err"]} for row in rows]}

    return run, extract


def chisq(frame, spec):
    def run():
        return _sample(frame).categorical.tabulate("district", "satisfied")

    def extract(table):
        return {"statistic": table.stats.f.value, "p_value": table.stats.f.p_value, "ndf": table.stats.f.df_num}

    return run, extract


WORKLOADS = {"overall": overall, "domains": domains, "bootstrap": bootstrap, "rake": rake, "rerake": rerake,
             "logistic": logistic, "chisq": chisq}
