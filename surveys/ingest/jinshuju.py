"""金数据 (jinshuju.net) exports (docs/formats.md §4): one header row, questions without numbering.

Meta columns by name: ``序号, 提交时间, 修改时间, 微信昵称, 微信OpenID, 微信UnionID, 测评得分,
测评时长 ("1分" / "24秒"), 邀请链接, 填写设备, 操作系统, 浏览器, 填写地区 ("中国 山西省 临汾市"), IP``.
Every other column is a question keyed by its header (a repeated header gets ``.1``, as pandas
names it). 0–10 scales are integers and are kept as codes. Built from the layout described in
docs/formats.md (the real file is held back as an independent check) and tested on synthetic files.
"""
from __future__ import annotations

from surveys.errors import IngestError
from surveys.ingest.flat import read_flat
from surveys.ingest.raw import RawExport
from surveys.ingest.table import SourceTable

__all__ = ["META_NAMES", "read_jinshuju", "looks_like_jinshuju"]

META_NAMES = {
    "序号": "respondent_id", "提交时间": "submitted_at", "修改时间": "modified_at", "填写时间": "started_at",
    "微信昵称": "nickname", "微信OpenID": "open_id", "微信UnionID": "union_id", "测评得分": "total_score",
    "总得分": "total_score", "测评时长": "duration_seconds", "填写时长": "duration_seconds",
    "邀请链接": "link_parameter", "渠道": "source", "填写设备": "device", "操作系统": "operating_system",
    "浏览器": "browser", "填写地区": "ip_location", "IP": "ip", "邀请红包金额": "prize_amount",
}
_SIGNATURE = ("填写设备", "微信OpenID", "修改时间", "测评时长", "填写地区")


def looks_like_jinshuju(headers: list[str]) -> bool:
    names = {header.strip() for header in headers}
    return "提交时间" in names and any(name in names for name in _SIGNATURE)


def read_jinshuju(source: SourceTable) -> RawExport:
    if not source.rows:
        raise IngestError(f"{source.path.name}: the file is empty; expected a 金数据 export with a header row")
    headers = list(source.rows[0])
    return read_flat(source, platform="jinshuju", header_rows=1, keys=headers, titles=headers,
                     meta_headers=headers, meta_names=META_NAMES)
