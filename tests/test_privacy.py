"""Scrubbing identifiers out of free text takes time linear in the text (issue 12: the e-mail pattern was
quadratic on long runs of word characters without ``@``: 20k characters took seconds, 1 MB never finished)."""
from __future__ import annotations

import pytest
from hostile_input import TENCENT, column, csv_rows, make_city, watchdog

from surveys.ingest.privacy import Pseudonymiser

MEGABYTE = 1_000_000


@pytest.fixture(scope="module")
def comment(tmp_path_factory):
    """A real free-text answer of the demo's 腾讯问卷 export."""
    rows = csv_rows(make_city(tmp_path_factory.mktemp("privacy") / "city") / TENCENT)
    index = column(rows, "11.")
    return next(row[index] for row in rows[1:] if row[index].strip())


@pytest.mark.parametrize("unit", ["a", "7", "1.", "满意", "ab.cd-1_2+x", "a@", "a@b.", "1.2.3.", "+86-", "-"])
def test_a_megabyte_without_identifiers_is_scrubbed_in_linear_time(unit):
    text = unit * (MEGABYTE // len(unit))
    with watchdog(60):  # linear: well under a second; the quadratic pattern took hours
        scrubbed = Pseudonymiser(b"k" * 32).scrub(text)
    assert len(scrubbed) > 0


def test_a_megabyte_answer_keeps_its_identifiers_scrubbed(comment):
    pseudonymiser = Pseudonymiser(b"k" * 32)
    identifiers = " 联系 13812345678 或 Zhang.San+x@Example.com，身份证 110101199003077777，IP 1.2.3.4 "
    text = (comment + "很" * 1000) * (MEGABYTE // (len(comment) + 1000)) + identifiers
    with watchdog(60):
        scrubbed = pseudonymiser.scrub(text)
    for raw in ("13812345678", "Zhang.San", "Example.com", "110101199003077777", "1.2.3.4"):
        assert raw not in scrubbed
    for kind in ("phone", "email", "id_number", "ip"):
        assert f"〔{kind}:" in scrubbed
    assert scrubbed.startswith(comment)


@pytest.mark.parametrize("key", [b"k" * 16, bytes(range(32)), b"x" * 64, b"long key " * 12])
def test_tokens_are_hmac_sha256_of_kind_and_normalised_value(key):
    """The keyed states computed once give the standard HMAC (keys shorter and longer than SHA-256's block)."""
    import hmac

    import pandas as pd

    def expected(kind, text):
        return hmac.digest(key, f"{kind}\x1f{text}".encode("utf-8"), "sha256").hex()[:32]

    pseudonymiser = Pseudonymiser(key)
    values = pd.Series([" 10.0.0.1 ", "10.0.0.1", None, "", "  ", float("nan"), "陕西-秦川", 5], dtype=object)
    assert pseudonymiser.column("ip", values).tolist() == [
        expected("ip", "10.0.0.1"), expected("ip", "10.0.0.1"), None, None, None, None, expected("ip", "陕西-秦川"),
        expected("ip", "5")]
    phones = pd.Series(["+86 138-1234-5678", "13812345678"], dtype=object)
    assert pseudonymiser.column("phone", phones).tolist() == [expected("phone", "13812345678")] * 2
    assert pseudonymiser.token("email", " Zhang@Example.com") == expected("email", "zhang@example.com")
