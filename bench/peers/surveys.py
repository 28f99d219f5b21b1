"""This toolkit, through its public API only (``import surveys``).

* design: ``surveys.SurveyDesign(frame, ids="psu", strata="district", weights="weight", nest=True)``
  (inside every timed call: the design is built from the DataFrame each time);
* overall: ``design.proportion("satisfied", ci_method="logit")``;
* domains: ``design.by(["district", "mode"]).proportion("satisfied", ci_method="logit")``;
* bootstrap: ``design.to_replicate(type="bootstrap", replicates=200, seed=1).proportion("satisfied")``;
* raking: ``design.rake({"district": series, "sex": series, "age_group": series}, tolerance=1e-6,
  max_iterations=1000)`` with pandas Series of population counts indexed by category;
  ``tolerance`` is the largest relative margin gap max |sum w - N| / N;
  re-raking calls ``rake`` again, with the alternative margins, on a design already built (and
  raked once with the first margins, as an analyst trying margins would have done);
* logistic: ``surveys.regression(design, "satisfied ~ mode + sex + age_group + wait_days + trust + contacts",
  family="quasibinomial")`` (R ``svyglm``, linearization SE);
* chisq: ``surveys.association_test(design, "district", "satisfied")`` (Rao-Scott second-order F, 12 x 2 = 24
  cells, R ``svychisq``).
"""
from __future__ import annotations

import surveys


def version() -> str:
    return f"surveys {surveys.__version__}"


def _design(frame):
    return surveys.SurveyDesign(frame, ids="psu", strata="district", weights="weight", nest=True)


def _record(estimate):
    return {"estimate": estimate.estimate, "std_error": estimate.std_error, "ci_low": estimate.ci_low,
            "ci_high": estimate.ci_high}


def overall(frame, spec):
    def run():
        return _design(frame).proportion("satisfied", ci_method="logit", level=spec["level"])

    return run, _record


def domains(frame, spec):
    def run():
        return _design(frame).by(["district", "mode"]).proportion("satisfied", ci_method="logit", level=spec["level"])

    def extract(table):
        return {"domains": [{"district": str(row.domain["district"]), "mode": str(row.domain["mode"]), **_record(row)}
                            for row in table]}

    return run, extract


def bootstrap(frame, spec):
    def run():
        replicated = _design(frame).to_replicate(type="bootstrap", replicates=spec["replicates"], seed=spec["seed"])
        return replicated.proportion("satisfied")

    return run, _record


def _rake(design, margins, spec):
    return design.rake(dict(margins), tolerance=spec["tolerance"], max_iterations=1000)


def rake(frame, spec):
    return (lambda: _rake(_design(frame), spec["margins"], spec)), (lambda raked: {"weights": raked.weights})


def rerake(frame, spec):
    design = _design(frame)
    _rake(design, spec["margins"], spec)
    return (lambda: _rake(design, spec["alternative_margins"], spec)), (lambda raked: {"weights": raked.weights})


FORMULA = "satisfied ~ mode + sex + age_group + wait_days + trust + contacts"


def logistic(frame, spec):
    def run():
        return surveys.regression(_design(frame), FORMULA, family="quasibinomial")

    def extract(model):
        return {"terms": [{"term": c.term, "estimate": c.estimate, "std_error": c.std_error}
                          for c in model.coefficients]}

    return run, extract


def chisq(frame, spec):
    def run():
        return surveys.association_test(_design(frame), "district", "satisfied")

    return run, lambda test: {"statistic": test.statistic, "p_value": test.p_value, "ndf": test.ndf}


WORKLOADS = {"overall": overall, "domains": domains, "bootstrap": bootstrap, "rake": rake, "rerake": rerake,
             "logistic": logistic, "chisq": chisq}
