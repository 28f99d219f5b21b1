"""The study pipeline end to end on the demo city: every file accounted for, raked weights that reproduce the
margins, every target of the register on the scoreboard with its verdict, the `surveys run` outputs and exit
codes; the weighting of several populations on small hand-made data; and, at the default sample sizes, the four
survey indicators landing in four different verdicts."""
from __future__ import annotations

import io
import json
import math
import pathlib

import numpy as np
import pandas as pd
import pytest
import yaml

from surveys.cli import main
from surveys.demo import generate_demo
from surveys.errors import StudyError, WeightingError
from surveys.indicators.register import load_register
from surveys.indicators.targets import JUDGED_VERDICTS, VERDICTS
from surveys.progress import progress_printer, row_progress
from surveys.study.pipeline import OTHER_CATEGORY, run_study, weight_responses
from surveys.study.spec import load_study
from surveys.weighting.margins import load_margins

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
DEMO_SPEC = REPOSITORY / "analysis" / "demo" / "study.yaml"
SCALE = 0.15


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


_BARS = _Terminal()   # the bar of rows the demo run draws (as on a terminal)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_city):
    study = load_study(DEMO_SPEC, data_dir=demo_city.out_dir)
    return demo_city, study, run_study(study, store=tmp_path_factory.mktemp("demo_store") / "store.sqlite",
                                       rows=row_progress(_BARS))


# ------------------------------------------------------------------------------------------ the demo run

def test_every_input_file_is_accounted_for(demo):
    manifest, study, result = demo
    exports = {entry.path: entry for entry in manifest.files if entry.questionnaire}
    accounted = {str(account.path.relative_to(manifest.out_dir.resolve())): account for account in result.files}
    assert set(accounted) == set(exports)
    for path, account in accounted.items():
        assert account.rows_read == exports[path].rows, path
        assert account.sha256 == exports[path].sha256, path
        if account.role == "ingested":
            assert account.rows_read == account.accepted + account.rejected, path
            assert account.accepted > 0 and account.flagged <= account.accepted
    roles = {account.role for account in result.files}
    assert roles == {"ingested", "labels", "second_keying", "copy", "census_register"}


def test_every_stored_file_shows_its_rows_on_a_terminal(demo):
    """Paper workbooks and 问卷星 pairs as well as single exports: each batch stored gets a bar ending at the rows it
    stored (for paper, the reconciled forms: those held back by the keying check are rejected without reaching
    the store)."""
    _, _, result = demo
    last = {line.split("\r")[-1].split("  ")[0].removeprefix("… "): line.split("\r")[-1]
            for line in _BARS.getvalue().split("\n") if line}
    stored = [account for account in result.files if account.role == "ingested"]
    assert len(stored) >= 8
    for account in stored:
        line = last[account.path.name]
        stored_rows = account.rows_read - sum(n for reason, n in account.reasons.items() if reason.startswith("keying_"))
        assert "█" * 24 in line and f"  {stored_rows:,} rows" in line, line


def test_issues_and_keying_findings_match_the_accounting(demo):
    _, _, result = demo
    issues = result.issues
    rejected = issues[issues["action"] == "reject"].drop_duplicates(["file_name", "row"])
    for account in result.files:
        if account.role == "ingested":
            keying = sum(v for k, v in account.reasons.items() if k.startswith("keying_"))
            ingested_name = account.path.name if not keying else f"{account.path.stem}_agreed.xlsx"
            assert (rejected["file_name"] == ingested_name).sum() == account.rejected - keying, account.path.name
    keying = result.keying_frame()
    assert set(keying["file"]) == set(result.reconciliations) and len(result.reconciliations) == 3
    assert {"value_differs", "keyed_once"} <= set(keying["kind"])


def test_the_responses_are_the_accepted_rows(demo):
    _, _, result = demo
    for questionnaire_id, frame in result.responses.items():
        accepted = sum(a.accepted for a in result.files if a.questionnaire == questionnaire_id and a.role == "ingested")
        assert len(frame) == accepted
        assert set(frame["mode"]) <= {"online", "paper"}


def test_raked_weights_reproduce_every_population_margin(demo):
    _, study, result = demo
    assert set(result.designs) == set(study.survey_questionnaires)
    for weighted in result.designs.values():
        diagnostics = weighted.diagnostics
        assert diagnostics.converged and weighted.method == "rake"
        margins = diagnostics.margins
        assert np.allclose(margins["total_after"], margins["target_total"], rtol=1e-6)
        totals = [load_margins(path)[variable] for path, variable in
                  zip(weighted.margin_files, ("district", "respondent_type"))]
        population = sum(float(np.sum(table.values())) for table in totals)
        assert math.isclose(float(weighted.design.weights.sum()), population, rel_tol=1e-9)
    assert result.designs["market_supervision"].populations == ("residents", "market_entities")
    frame = result.weights_frame()
    assert {"kish_design_effect", "effective_sample_size", "questionnaire", "populations"} <= set(frame.columns)


def test_the_scoreboard_holds_every_register_target_with_a_verdict(demo):
    _, study, result = demo
    register = load_register(study.targets, questionnaires=study.questionnaires)
    board = result.scoreboard_frame()
    assert list(board["target_id"]) == [target.id for target in register.targets]
    assert set(board["verdict"]) <= set(VERDICTS)
    for column in ("value", "ci_low", "ci_high", "interval_kind", "verdict_zh", "verdict_en", "responsible_zh",
                   "target_met"):
        assert column in board.columns
    assert board["value"].notna().all() and board["responsible_zh"].str.len().gt(0).all()
    survey = board[board["source_kind"] == "survey"]
    assert len(survey) == len(study.survey_questionnaires)
    assert ((survey["ci_low"] <= survey["value"]) & (survey["value"] <= survey["ci_high"])).all()
    census = board[board["source_kind"] == "census"]
    assert list(census["interval_kind"]) == ["nonresponse_bounds"]
    assert set(result.targets_not_met) == set(board.loc[board["target_met"] != True, "target_id"])  # noqa: E712


def test_weighting_effect_compares_the_raw_and_the_raked_headline(demo):
    _, study, result = demo
    frame = result.weighting_effect_frame()
    assert len(frame) == 2 * len(result.designs) and set(frame["weighting"]) == {"before", "after"}
    board = result.scoreboard_frame().set_index("source")
    for row in frame[frame["weighting"] == "after"].itertuples():
        assert math.isclose(row.estimate, board.loc[f"{row.questionnaire}/{row.measure_id}", "value"], rel_tol=1e-12)
    before = frame.pivot(index="questionnaire", columns="weighting", values="estimate")
    assert (before["before"] != before["after"]).all()  # the skewed online samples: weighting changes the answer


def test_mode_differences_for_questionnaires_fielded_in_both_modes(demo):
    _, _, result = demo
    frame = result.mode_difference_frame()
    both = sorted(q for q, r in result.responses.items() if q in result.designs and r["mode"].nunique() == 2)
    assert sorted(frame["questionnaire"]) == both and len(both) >= 2
    assert ((frame["ci_low"] <= frame["difference"]) & (frame["difference"] <= frame["ci_high"])).all()
    assert np.allclose(frame["difference"], frame["first_estimate"] - frame["second_estimate"])


def test_measure_tables_cover_every_measure_with_reliability(demo):
    _, study, result = demo
    frame = result.measures_frame()
    for column in ("questionnaire", "measure_id", "domain_variable", "estimate", "ci_low", "ci_high",
                   "respondents", "effective_sample_size", "reliability"):
        assert column in frame.columns
    for questionnaire_id in study.survey_questionnaires:
        overall = frame[(frame["questionnaire"] == questionnaire_id) & (frame["domain_variable"] == "")]
        measures = {m.id for m in study.questionnaires[questionnaire_id].measures}
        assert set(overall["measure_id"]) <= measures and study.questionnaires[questionnaire_id].headline.id in set(
            overall["measure_id"])
    assert set(frame["domain_variable"]) >= {"", "mode", "sex"}


# ------------------------------------------------------------------------------------------ the CLI

def _subset_spec(folder: pathlib.Path, questionnaire_id: str, out: pathlib.Path) -> pathlib.Path:
    """The generated spec cut down to one questionnaire (fast), written into ``out`` (run it with --data folder)."""
    document = yaml.safe_load((folder / "study.yaml").read_text(encoding="utf-8"))
    document["questionnaires"] = [q for q in document["questionnaires"] if q["id"] == questionnaire_id]
    document["inputs"] = [i for i in document["inputs"] if i["questionnaire"] == questionnaire_id]
    document["measures"] = [m for m in document["measures"] if m["questionnaire"] == questionnaire_id]
    document["margins"] = [dict(m, questionnaires=[questionnaire_id]) for m in document["margins"]
                           if questionnaire_id in m["questionnaires"]]
    path = out / f"study_{questionnaire_id}.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_run_writes_every_output_and_fails_on_unmet_targets(demo, tmp_path, capsys):
    manifest, study, result = demo
    out = tmp_path / "out"
    code = main(["run", str(DEMO_SPEC), "--data", str(manifest.out_dir), "--out", str(out), "--fail-on-target",
                 "--lang", "en", "--no-charts", "--no-report"])
    captured = capsys.readouterr()
    assert code == 1 and result.targets_not_met  # the demo plan has targets that are not met
    assert captured.err == ""  # progress only on a terminal
    for name in ("scoreboard.csv", "scoreboard.json", "measures.csv", "accounting.csv", "weights.csv",
                 "weight_margins.csv", "weighting_effect.csv", "mode_differences.csv", "issues.csv", "keying.csv",
                 "store.sqlite"):
        assert (out / name).is_file(), name
    assert (out / "scoreboard.csv").read_bytes().startswith(b"\xef\xbb\xbf") and not (out / "charts").exists()
    assert not (out / "report.xlsx").exists() and not (out / "report.html").exists()
    board = pd.read_csv(out / "scoreboard.csv", encoding="utf-8-sig")
    assert list(board["target_id"]) == list(result.scoreboard_frame()["target_id"])
    document = json.loads((out / "scoreboard.json").read_text(encoding="utf-8"))
    assert len(document["targets"]) == len(board)
    accounting = pd.read_csv(out / "accounting.csv", encoding="utf-8-sig")
    assert len(accounting) == len(result.files)
    words = set(captured.out.replace(",", " ").split())
    for row in result.scoreboard:  # long cells wrap within their column: every word is printed
        assert set(row.verdict_label.en.replace(",", " ").split()) <= words
        assert set(row.responsible.en.replace(",", " ").split()) <= words


def test_run_exits_0_when_every_target_is_met_and_draws_the_charts(demo, tmp_path, capsys):
    manifest, _, _ = demo
    spec = _subset_spec(manifest.out_dir, "social_stability", tmp_path)
    code = main(["run", str(spec), "--data", str(manifest.out_dir), "--out", str(tmp_path / "out"), "--fail-on-target",
                 "--svg"])
    captured = capsys.readouterr()
    assert code == 0 and "达标（有统计把握）" in captured.out and "未达标 0 项" in captured.out
    assert "not drawn" not in captured.err
    charts = {path.name for path in (tmp_path / "out" / "charts").iterdir()}
    for stem in ("targets", "district_social_stability", "mode_social_stability", "weights_social_stability",
                 "margins_social_stability_1", "margins_social_stability_2", "items_social_stability",
                 "weighting_effect"):  # a margins chart longer than a page is drawn as pages
        assert {f"{stem}.png", f"{stem}.svg"} <= charts, stem


def test_data_errors_exit_2_with_the_message(demo, tmp_path, capsys):
    assert main(["run", str(tmp_path / "none.yaml"), "--out", str(tmp_path / "out")]) == 2
    assert "error: " in capsys.readouterr().err
    assert main(["run", str(DEMO_SPEC), "--data", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "inputs[0].file" in err


def test_progress_lines_only_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert progress_printer(io.StringIO()) is None
    stream = Terminal()
    progress_printer(stream)("ingest x.xlsx")
    assert stream.getvalue() == "… ingest x.xlsx\n"


# ------------------------------------------------------------------------------------------ several populations

def _weighting_study(tmp_path: pathlib.Path, **weighting) -> object:
    (tmp_path / "export.csv").write_text("", encoding="utf-8")
    (tmp_path / "people.csv").write_text(
        "variable,category,population,share,source,as_of\n"
        "district,1,600,,census,2025-12-31\ndistrict,2,400,,census,2025-12-31\n"
        "sex,1,480,,census,2025-12-31\nsex,2,520,,census,2025-12-31\n", encoding="utf-8")
    (tmp_path / "firms.csv").write_text(
        "variable,category,population,share,source,as_of\n"
        "respondent_type,2,30,,register,2026-06-30\nrespondent_type,3,70,,register,2026-06-30\n"
        "district,1,,0.5,register,2026-06-30\ndistrict,2,,0.5,register,2026-06-30\n", encoding="utf-8")
    document = {
        "study": {"id": "w"}, "wave": "2026", "questionnaires": [{"id": "market_supervision"}],
        "inputs": [{"file": "export.csv", "questionnaire": "market_supervision", "platform": "tencent"}],
        "margins": [{"file": "people.csv", "population": "residents", "rows": {"respondent_type": [1]}},
                    {"file": "firms.csv", "population": "firms", "rows": {"respondent_type": [2, 3, 4]}}],
        "weighting": weighting,
    }
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return load_study(path)


def _sample(seed: int = 5, size: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    kind = rng.choice([1, 2, 3], size=size, p=[0.6, 0.25, 0.15])
    sex = np.where(kind == 1, rng.choice([1, 2], size=size, p=[0.3, 0.7]), np.nan)
    sex[:3] = np.nan  # three residents who did not say
    kind[:3] = 1
    return pd.DataFrame({"respondent_type": kind, "district": rng.choice([1, 2], size=size, p=[0.8, 0.2]),
                         "sex": sex})


def test_each_population_is_raked_to_its_own_margins(tmp_path):
    study = _weighting_study(tmp_path)
    data = _sample()
    weighted = weight_responses(data, "market_supervision", study)
    design = weighted.design
    weights = design.weights
    residents = data["respondent_type"].to_numpy() == 1
    assert weighted.populations == ("residents", "firms")
    assert math.isclose(weights[residents].sum(), 1000, rel_tol=1e-7)
    assert math.isclose(weights[~residents].sum(), 100, rel_tol=1e-7)
    district = data["district"].to_numpy()
    assert math.isclose(weights[residents & (district == 1)].sum(), 600, rel_tol=1e-7)
    assert math.isclose(weights[~residents & (district == 1)].sum(), 50, rel_tol=1e-7)  # shares × firm total
    kind = data["respondent_type"].to_numpy()
    assert math.isclose(weights[kind == 2].sum(), 30, rel_tol=1e-7)
    # residents who did not give their sex keep their base-weight share of the residents
    sex = data["sex"].to_numpy()
    known = residents & ~np.isnan(sex)
    share_missing = 3 / residents.sum()
    assert math.isclose(weights[residents & np.isnan(sex)].sum(), share_missing * 1000, rel_tol=1e-7)
    assert math.isclose(weights[known & (sex == 1)].sum(), 480 * (1 - share_missing), rel_tol=1e-7)
    assert OTHER_CATEGORY in set(design.data["district@residents"])


def test_uncovered_rows_and_sparse_categories(tmp_path):
    study = _weighting_study(tmp_path, min_category_respondents=5)
    data = _sample()
    data.loc[10, "respondent_type"] = 9  # a code no population describes
    with pytest.raises(WeightingError, match="1 respondents belong to no population"):
        weight_responses(data, "market_supervision", study)
    data = _sample()
    firms = data.index[data["respondent_type"] != 1]
    data.loc[firms[:-2], "district"] = 1  # two firms left in district 2: fewer than 5
    data.loc[firms[-2:], "district"] = 2
    weighted = weight_responses(data, "market_supervision", study)
    assert weighted.diagnostics.collapsed == {"district@firms": {"2": "1"}}
    with pytest.raises(StudyError, match="margins 'people.csv' has no table for"):
        document = yaml.safe_load((tmp_path / "study.yaml").read_text(encoding="utf-8"))
        document["margins"][0]["variables"] = ["district", "age_group"]
        (tmp_path / "study.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
        weight_responses(_sample(), "market_supervision", load_study(tmp_path / "study.yaml"))


# ------------------------------------------------------------------------------------------ default sample sizes

def test_at_the_default_sample_sizes_the_four_survey_indicators_land_in_four_verdicts(tmp_path):
    four = ("social_stability", "market_supervision", "grassroots_governance", "law_based_administration")
    generate_demo(tmp_path, instruments=four)
    result = run_study(tmp_path / "study.yaml", store=tmp_path / "store.sqlite")
    verdicts = {row.source.split("/")[0]: row.verdict for row in result.scoreboard}
    assert set(verdicts) == set(four)
    assert sorted(verdicts.values()) == sorted(JUDGED_VERDICTS)
    # what each verdict rests on, named beside it: market supervision becomes "met" without the don't-knows;
    # grassroots paper and online fall on either side of 80%
    depends = {row.source.split("/")[0]: result.robustness[row.target_id].depends_on for row in result.scoreboard}
    assert depends["market_supervision"] == ("base",)
    assert depends["grassroots_governance"] == ("base", "mode")
    assert depends["social_stability"] == depends["law_based_administration"] == ()
    robustness = {row.source.split("/")[0]: row.robustness.zh for row in result.scoreboard}
    assert robustness["grassroots_governance"] == "取决于“不了解”是否计入基数；取决于调查方式（纸质/网络）"
    assert robustness["social_stability"] == "结论稳健"
    # one decision rule: the shown interval decides, and the p-value agrees with it
    for row in result.scoreboard:
        check = row.check
        assert (check.verdict == "met") == (check.ci_low >= check.threshold) == (check.p_value <= check.alpha)


def test_both_base_weights_give_the_same_raked_weights(tmp_path):
    data = _sample(seed=8)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    by_population = weight_responses(data, "market_supervision", _weighting_study(tmp_path / "a"))
    equal = weight_responses(data, "market_supervision", _weighting_study(tmp_path / "b", base_weight="equal"))
    assert np.allclose(by_population.design.weights, equal.design.weights, rtol=1e-6)
    # what differs is the diagnostics: from N_p/n_p the factors only carry the raking within each population
    spread = by_population.diagnostics.adjustment_factor_max / by_population.diagnostics.adjustment_factor_min
    assert spread < equal.diagnostics.adjustment_factor_max / equal.diagnostics.adjustment_factor_min
    assert by_population.diagnostics.kish_design_effect_before > 1.0 == equal.diagnostics.kish_design_effect_before
