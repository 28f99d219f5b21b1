"""Every published R survey 4.1.1 model and test case (svyglm gaussian and quasibinomial, svychisq, svyttest,
svycontrast) run through the public API by the adapter; all must match R at the cases' tolerances. The extra
cases (tests/reference/r_survey_models_extra, written with the same R for the designs the published set leaves
out) must match too."""
from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import pathlib
import shutil

import pytest
from reference.r_survey_adapter import run_case

REFERENCE = pathlib.Path(__file__).parent / "reference"
MODELS = REFERENCE / "r_survey_models"
EXTRA = REFERENCE / "r_survey_models_extra"
GROUPS = {"svyglm_gaussian", "svyglm_quasibinomial", "svychisq", "svyttest", "svycontrast"}


def _checker():
    spec = importlib.util.spec_from_file_location("check_reference", REFERENCE / "r_survey" / "check_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECKER = _checker()
CASES = CHECKER.load_cases(str(MODELS / "cases.json"))
EXTRA_CASES = CHECKER.load_cases(str(EXTRA / "cases.json"))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """One folder holding every file a case names: links to both reference data folders."""
    folder = tmp_path_factory.mktemp("reference_data")
    for source in (REFERENCE / "r_survey" / "data", MODELS / "data", EXTRA / "data"):
        for path in source.iterdir():
            if not (folder / path.name).exists():
                (folder / path.name).symlink_to(path)
    return folder


@pytest.mark.parametrize("case", CASES + EXTRA_CASES, ids=[c["id"] for c in CASES + EXTRA_CASES])
def test_case_matches_r(case, data_dir):
    result = run_case(case, data_dir)
    assert "not_supported" not in result, result.get("not_supported")
    ok, compared, problems, worst = CHECKER.compare_case(case, result, strict=True, data_dir=str(data_dir))
    assert ok, f"{case['id']} ({case['r_call']}): " + "; ".join(problems)
    # every result field R gives was produced and compared
    missing = [name for name, value in case["results"].items() if value is not None and name not in compared]
    assert not missing, f"{case['id']}: fields not produced: {missing}"


def test_all_48_cases_match_in_one_check(data_dir, tmp_path):
    results = {case["id"]: run_case(case, data_dir) for case in CASES}
    # check() reads cases.json and the data next to each other: lay them out that way
    shutil.copy(MODELS / "cases.json", tmp_path / "cases.json")
    (tmp_path / "data").symlink_to(data_dir)
    out = io.StringIO()
    matched, total = CHECKER.check(results, str(tmp_path / "cases.json"), out=out, verbose=False)
    assert (matched, total) == (48, 48), out.getvalue()
    assert {case["group"] for case in CASES} == GROUPS


def test_checker_fails_a_perturbed_result(data_dir):
    case = next(c for c in CASES if c["id"] == "glm_logit_clus1_sw")
    result = run_case(case, data_dir)
    result["se:meals"] *= 1.001
    ok, _, problems, _ = CHECKER.compare_case(case, result, strict=True, data_dir=str(data_dir))
    assert not ok and any("se:meals" in p for p in problems)


def test_provenance_hashes_match_the_files():
    provenance = (MODELS / "PROVENANCE.md").read_text(encoding="utf-8")
    for path in [MODELS / "cases.json", MODELS / "README.md", *sorted((MODELS / "data").glob("*.csv"))]:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest in provenance, f"{path.name}: {digest} not recorded in PROVENANCE.md"
    assert json.loads((MODELS / "cases.json").read_text(encoding="utf-8"))[0]["design"]["degf"] == 199


def test_extra_cases_cover_every_group_and_their_provenance():
    assert {case["group"] for case in EXTRA_CASES} == GROUPS | {"regTermTest", "svycralpha"}
    meta = json.loads((EXTRA / "meta.json").read_text(encoding="utf-8"))
    assert meta["survey_version"] == "4.1.1" and meta["n_cases"] == len(EXTRA_CASES)
    assert "4.2.2" in meta["r_version"] and "make_cases.R" in (EXTRA / "PROVENANCE.md").read_text(encoding="utf-8")
