"""statsmodels (a general-purpose modelling library; no survey designs), for the model workload only.

* logistic: ``statsmodels.api.GLM(y, X, family=Binomial(), var_weights=weight).fit(cov_type="cluster",
  cov_kwds={"groups": psu codes})`` with ``X`` the intercept, the dummies of mode, sex and age group
  (``pandas.get_dummies``, references sorted first as in R) and the three covariates, built inside the
  timed call. The coefficients are the survey-weighted ones; the standard errors are cluster-robust
  (sandwich over PSUs) but ignore the strata and use statsmodels' small-sample factor, so they differ
  from the design-based ones a little. statsmodels has no design-based test for two-way tables.
"""
from __future__ import annotations

from importlib import metadata

import numpy as np
import pandas as pd
import statsmodels.api as sm

_NUMERIC = ["wait_days", "trust", "contacts"]


def version() -> str:
    return f"statsmodels {metadata.version('statsmodels')}"


def logistic(frame, spec):
    def run():
        dummies = pd.get_dummies(frame[["mode", "sex", "age_group"]], drop_first=True).astype(float)
        x = np.column_stack([np.ones(len(frame)), dummies.to_numpy(), frame[_NUMERIC].to_numpy(dtype=float)])
        groups = pd.factorize(frame["psu"])[0]
        model = sm.GLM(frame["satisfied"].to_numpy(dtype=float), x, family=sm.families.Binomial(),
                       var_weights=frame["weight"].to_numpy())
        names = ["(Intercept)", *[name.replace("_", "", 1) if name.startswith(("mode_", "sex_")) else
                                  name.replace("age_group_", "age_group") for name in dummies.columns], *_NUMERIC]
        return model.fit(cov_type="cluster", cov_kwds={"groups": groups}), names

    def extract(result):
        fitted, names = result
        return {"terms": [{"term": name, "estimate": float(b), "std_error": float(se)}
                          for name, b, se in zip(names, fitted.params, fitted.bse)]}

    return run, extract


WORKLOADS = {"logistic": logistic}
