"""The demo city's exports ingest with every row accounted for, and the planted flaws are caught."""
from __future__ import annotations

import collections

import pandas as pd
import pytest

from surveys.questionnaire import load_questionnaire
from surveys.resources import bundled_questionnaires
from surveys.store.database import Store
from surveys.validate import ValidationRules

# planted flaw kind (truth/flaws.csv) → the issue code that must catch it, and the least recall accepted
CAUGHT_BY = {"duplicate_submission": ("duplicate_submission", 0.9), "speeder": ("speeder", 0.9),
             "attention_check_failed": ("attention_check_failed", 0.95), "outside_city": ("outside_area", 0.9),
             "straight_liner": ("straightline", 0.8), "out_of_range_code": ("out_of_scale", 0.95)}
REJECTING_FLAWS = ("duplicate_submission", "speeder", "attention_check_failed")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, demo_city):
    folder = tmp_path_factory.mktemp("demo")
    manifest = demo_city
    questionnaires = {q.id: q for q in map(load_questionnaire, bundled_questionnaires())}
    store = Store(folder / "store.sqlite")
    # the surveyed area is study configuration: the demo city's province and city, as its IPs report them
    rules = ValidationRules(area=("陕西-秦川",))
    order = {"wjx_text": 0, "tencent_csv": 0, "paper_entry": 1, "proposal_feedback": 1, "wjx_code": 2,
             "tencent_csv_gb18030": 2}
    entries = sorted((e for e in manifest.files if e.kind in order), key=lambda e: (order[e.kind], e.path))
    results = {entry.path: (entry, store.ingest(manifest.out_dir / entry.path, questionnaires[entry.questionnaire],
                                                rules=rules, wave="2026", mode=entry.mode))
               for entry in entries}
    flaws = pd.read_csv(manifest.out_dir / "truth" / "flaws.csv", dtype={"record": str})
    return store, results, flaws


def test_every_row_of_every_export_is_accounted_for(ingested):
    store, results, _ = ingested
    for entry, result in results.values():
        assert result.rows_read == entry.rows == result.accepted + result.rejected, entry.path
        assert result.sha256 == entry.sha256
    batches = store.batches()
    assert len(batches) == len(results)
    assert (batches["rows_read"] == batches["accepted"] + batches["rejected"]).all()


def test_planted_flaws_are_caught(ingested):
    _, results, flaws = ingested
    caught, planted = collections.Counter(), collections.Counter()
    for entry, result in results.values():
        if entry.kind not in ("wjx_text", "tencent_csv", "paper_entry"):
            continue
        if entry.kind == "paper_entry" and not entry.path.endswith("_A.xlsx"):
            continue
        issues = result.report.issues
        found = set(zip(issues["row"], issues["code"]))
        for kind, (code, _) in CAUGHT_BY.items():
            for row in flaws.loc[(flaws["export"] == entry.path) & (flaws["kind"] == kind), "row"].unique():
                planted[kind] += 1
                caught[kind] += (int(row), code) in found
    recall = {kind: caught[kind] / planted[kind] for kind in planted}
    assert set(recall) == set(CAUGHT_BY), f"flaw kinds not planted at this scale: {set(CAUGHT_BY) - set(recall)}"
    for kind, (_, floor) in CAUGHT_BY.items():
        assert recall[kind] >= floor, f"recall per flaw kind {recall} (planted {dict(planted)})"


def test_clean_online_rows_are_rarely_rejected(ingested):
    _, results, flaws = ingested
    clean = wrongly_rejected = 0
    for entry, result in results.values():
        if entry.kind not in ("wjx_text", "tencent_csv"):
            continue
        planted = set(flaws.loc[(flaws["export"] == entry.path) & flaws["kind"].isin(REJECTING_FLAWS), "row"])
        rows = set(range(1, entry.rows + 1)) - planted
        clean += len(rows)
        wrongly_rejected += len(rows & set(result.report.rejected))
    assert clean > 300 and wrongly_rejected / clean < 0.02, (wrongly_rejected, clean)


def test_second_copies_of_an_export_are_repeats(ingested):
    _, results, _ = ingested
    for entry, result in results.values():
        if entry.kind in ("wjx_code", "tencent_csv_gb18030"):
            assert result.accepted == 0 and result.reasons["duplicate_submission"] == result.rows_read, entry.path


def test_the_store_gives_design_ready_responses(ingested):
    store, results, _ = ingested
    frame = store.responses("social_stability", wave="2026")
    accepted = sum(result.accepted for entry, result in results.values() if entry.questionnaire == "social_stability")
    assert len(frame) == accepted and set(frame["mode"]) == {"online", "paper"}
    assert frame["overall"].dtype == "Int64" and frame["district"].notna().mean() > 0.95
    asked = store.asked("social_stability")
    # the petition follow-up is asked only of those who contacted the authorities
    contacted = frame["contacted_authorities"] == 1
    assert not asked.loc[~contacted.fillna(False).to_numpy(), "petition_handling"].any()
    proposals = store.responses("proposal_handling")
    assert len(proposals) > 100 and proposals["overall"].notna().all()
