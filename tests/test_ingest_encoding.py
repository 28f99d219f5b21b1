"""Decoding: BOM first, then strict UTF-8, then GB18030; the codec used is reported."""
from __future__ import annotations

import pathlib

import pytest

from surveys.errors import IngestError
from surveys.ingest import read_export
from surveys.ingest.encoding import decode_bytes

TEXT = "序号,提交答卷时间,所用时间,1、您对治安满意吗？\r\n1,2023/9/8 12:24:22,137秒,非常满意\r\n2,2023/9/8 12:30:00,60秒,(跳过)\r\n"


@pytest.mark.parametrize("codec, expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("gbk", "gb18030"),
    ("utf-16", "utf-16"), ("utf-16-le", "utf-16-le"), ("utf-32", "utf-32"),
])
def test_each_encoding_is_read_and_reported(tmp_path, codec, expected):
    path = tmp_path / f"export_{codec}.csv"
    path.write_bytes(TEXT.encode(codec))
    export = read_export(path)
    assert export.encoding == expected
    assert export.platform == "wjx" and export.rows_read == 2
    assert export.question("1").title == "您对治安满意吗？"
    assert export.answers["1"].tolist()[0] == "非常满意"


def test_utf8_is_preferred_to_gb18030_when_both_decode():
    data = "满意".encode("utf-8")
    assert decode_bytes(data, pathlib.Path("x.csv")) == ("满意", "utf-8")


def test_undecodable_bytes_raise_ingest_error_naming_the_file():
    data = b"\x81\x30\xff\xfe\x80abc"  # invalid in UTF-8 and in GB18030
    with pytest.raises(IngestError, match=r"broken\.csv: cannot decode.*GB18030"):
        decode_bytes(data, pathlib.Path("broken.csv"))


def test_explicit_encoding_is_used_alone(tmp_path):
    path = tmp_path / "big5.csv"
    path.write_bytes(TEXT.replace("治安", "治安").encode("big5", errors="ignore"))
    with pytest.raises(IngestError):
        read_export(path, encoding="utf-8")
    with pytest.raises(IngestError, match="unknown encoding"):
        read_export(path, encoding="no-such-codec")
