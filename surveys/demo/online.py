"""Online submissions: when, how long, from where, and the flaws real online samples carry.

A :class:`Submission` is one row of an online export before it is rendered for a platform: the
respondent's answers plus the platform's meta data (submission time, seconds taken, channel, IP and
its location, WeChat OpenID and user agent). :func:`simulate_submissions` adds the flaws — repeat
submissions, speeders, straight-liners, failed attention checks, IPs outside the city — and returns
the rows in submission order with one :class:`FlawNote` per flaw.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from surveys.demo import scenario
from surveys.demo.respondents import NOT_ASKED, Respondent

__all__ = ["Submission", "FlawNote", "simulate_submissions", "answer_flaws"]

_USER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49",
    "Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.47",
    "Mozilla/5.0 (Linux; Android 13; PGBM10) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0 Mobile Safari/537.36 MicroMessenger/8.0.44",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0 Mobile Safari/537.36 MicroMessenger/8.0.40",
)
_CHANNELS = (("微信", "微信", 0.62), ("手机提交", "直接访问", 0.26), ("链接", "N/A", 0.12))
# Address blocks used for in-city IPs (documentation-style random addresses, not real subscribers).
_IP_BLOCKS = ((113, 200), (117, 32), (123, 139), (1, 86), (36, 46), (222, 91))


@dataclass(frozen=True)
class Submission:
    """One online row before rendering."""

    respondent: Respondent
    submitted_at: datetime.datetime
    seconds: int
    channel: str
    channel_detail: str
    ip: str
    place: str              # "省-市" as the platform's IP database reports it
    user_agent: str
    open_id: str
    nickname: str

    @property
    def started_at(self) -> datetime.datetime:
        return self.submitted_at - datetime.timedelta(seconds=self.seconds)

    @property
    def province_city(self) -> tuple[str, str]:
        province, _, city = self.place.partition("-")
        return province, city


@dataclass(frozen=True)
class FlawNote:
    """A flaw of one row (``row`` is the 0-based position in the export) and, if any, one item."""

    row: int
    kind: str
    item: str = ""
    detail: str = ""


def _random_ip(rng: np.random.Generator) -> str:
    first, second = _IP_BLOCKS[int(rng.integers(len(_IP_BLOCKS)))]
    return f"{first}.{second}.{int(rng.integers(0, 256))}.{int(rng.integers(1, 255))}"


def _open_id(rng: np.random.Generator) -> str:
    alphabet = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))
    return "o" + "".join(rng.choice(alphabet, size=27))


def _submission_time(rng: np.random.Generator) -> datetime.datetime:
    start = datetime.date.fromisoformat(scenario.FIELD_PERIOD["start"])
    end = datetime.date.fromisoformat(scenario.FIELD_PERIOD["end"])
    day = start + datetime.timedelta(days=int(rng.integers(0, (end - start).days + 1)))
    # evenings and lunch breaks are busiest
    hour = int(rng.choice(np.arange(7, 24), p=_HOUR_WEIGHTS))
    return datetime.datetime(day.year, day.month, day.day, hour, int(rng.integers(0, 60)), int(rng.integers(0, 60)))


_HOUR_PROFILE = np.array([1, 2, 3, 3, 3, 5, 5, 3, 3, 3, 3, 4, 6, 8, 9, 7, 4], dtype=float)
_HOUR_WEIGHTS = _HOUR_PROFILE / _HOUR_PROFILE.sum()


def _honest_seconds(rng: np.random.Generator, asked_items: int) -> int:
    return int(max(60, round(asked_items * rng.lognormal(np.log(7.5), 0.35))))


def _latent_items(questionnaire, roles=("satisfaction", "overall")) -> list:
    return [item for item in questionnaire.items
            if item.role in roles and item.type == "single" and item.scale is not None
            and questionnaire.scales[item.scale].satisfied_codes]


def answer_flaws(questionnaire, answers) -> list[tuple[str, str]]:
    """(kind, item) of every skipped, blank (other than free text) and don't-know answer of one row."""
    notes = []
    for item in questionnaire.items:
        value = answers.get(item.id)
        if value is NOT_ASKED:
            notes.append(("skipped", item.id))
        elif value is None and item.role != "free_text":   # an empty comment box is no flaw
            notes.append(("blank", item.id))
        elif item.scale is not None and item.type == "single" and isinstance(value, int):
            if value in questionnaire.scales[item.scale].dont_know_codes:
                notes.append(("dont_know", item.id))
    return notes


def _straight_line(questionnaire, respondent: Respondent, rng: np.random.Generator) -> Respondent:
    items = [item for item in _latent_items(questionnaire) if respondent.answers[item.id] is not NOT_ASKED]
    if not items:
        return respondent
    scale = questionnaire.scales[items[0].scale]
    substantive = [c.code for c in scale.categories if not c.dont_know]
    # the first option is what a careless clicker picks most often
    code = substantive[0] if rng.random() < 0.6 else int(rng.choice(substantive))
    changes = {item.id: code for item in items if code in questionnaire.scales[item.scale].codes}
    return respondent.with_answers(changes, straight_lined=code)


def _careless(questionnaire, respondent: Respondent, rng: np.random.Generator) -> Respondent:
    changes = {}
    for item in _latent_items(questionnaire, ("satisfaction", "overall", "knowledge")):
        if respondent.answers[item.id] is NOT_ASKED:
            continue
        codes = [c.code for c in questionnaire.scales[item.scale].categories]
        changes[item.id] = int(rng.choice(codes))
    return respondent.with_answers(changes)


def _fail_attention(questionnaire, respondent: Respondent, rng: np.random.Generator) -> tuple[Respondent, str]:
    for item in questionnaire.items_with_role("attention_check"):
        if respondent.answers.get(item.id) is NOT_ASKED or item.correct_answer is None:
            continue
        wrong = [c for c in questionnaire.scales[item.scale].codes if c != item.correct_answer]
        return respondent.with_answers({item.id: int(rng.choice(wrong))}), item.id
    return respondent, ""


def simulate_submissions(questionnaire, respondents: Sequence[Respondent], rng: np.random.Generator,
                         *, allow_outside: bool = True) -> tuple[list[Submission], list[FlawNote]]:
    """Online rows in submission order, with the scenario's flaws and a note for each."""
    rates = scenario.FLAW_RATES
    rows: list[tuple[Submission, list[tuple[str, str, str]]]] = []
    has_attention = bool(questionnaire.items_with_role("attention_check"))
    for respondent in respondents:
        asked = sum(1 for value in respondent.answers.values() if value is not NOT_ASKED)
        channel, detail, _ = _CHANNELS[int(rng.choice(len(_CHANNELS), p=[c[2] for c in _CHANNELS]))]
        submission = Submission(
            respondent=respondent, submitted_at=_submission_time(rng), seconds=_honest_seconds(rng, asked),
            channel=channel, channel_detail=detail, ip=_random_ip(rng), place=f"{scenario.PROVINCE}-{scenario.CITY['zh'][:-1]}",
            user_agent=str(rng.choice(_USER_AGENTS)), open_id=_open_id(rng), nickname=_nickname(rng),
        )
        notes: list[tuple[str, str, str]] = []
        draw = rng.random(4)
        if draw[0] < rates.speeder:
            submission = replace(submission, respondent=_careless(questionnaire, submission.respondent, rng),
                                 seconds=int(rng.integers(max(12, asked), max(13, 2 * asked))))
            notes.append(("speeder", "", f"{submission.seconds} seconds for {asked} items"))
        elif draw[1] < rates.straight_liner:
            changed = _straight_line(questionnaire, submission.respondent, rng)
            if changed is not submission.respondent:
                submission = replace(submission, respondent=changed)
                notes.append(("straight_liner", "", f"every rating item coded {changed.notes['straight_lined']}"))
        if has_attention and draw[2] < rates.attention_fail:
            changed, item_id = _fail_attention(questionnaire, submission.respondent, rng)
            if item_id:
                submission = replace(submission, respondent=changed)
                notes.append(("attention_check_failed", item_id, f"answered {changed.answers[item_id]}"))
        if allow_outside and draw[3] < rates.outside_city:
            place = str(rng.choice(scenario.OTHER_PLACES))
            submission = replace(submission, place=place, ip=f"{int(rng.integers(14, 223))}.{int(rng.integers(0, 256))}."
                                                              f"{int(rng.integers(0, 256))}.{int(rng.integers(1, 255))}")
            notes.append(("outside_city", "", place))
        rows.append((submission, notes))
    # repeat submissions: the same person (OpenID, IP, user agent) submits again minutes later
    duplicates = []
    for index in np.flatnonzero(rng.random(len(rows)) < rates.duplicate):
        original, original_notes = rows[index]
        later = replace(original, submitted_at=original.submitted_at + datetime.timedelta(seconds=int(rng.integers(90, 600))),
                        seconds=int(original.seconds * rng.uniform(0.5, 0.9)))
        # the repeat carries the same answers, hence the same answer flaws (speeding, straight lines, ...)
        duplicates.append((later, [("duplicate_submission", "", original.respondent.respondent_id)] + original_notes))
    rows.extend(duplicates)
    rows.sort(key=lambda pair: (pair[0].submitted_at, pair[0].respondent.respondent_id))
    submissions = [submission for submission, _ in rows]
    flaw_notes = []
    for position, (submission, notes) in enumerate(rows):
        for kind, item_id, detail in notes:
            if kind == "duplicate_submission":
                first = next(i for i, s in enumerate(submissions) if s.respondent.respondent_id == detail)
                detail = f"repeats row {first + 1} ({detail})"
            flaw_notes.append(FlawNote(position, kind, item_id, detail))
        for kind, item_id in answer_flaws(questionnaire, submission.respondent.answers):
            flaw_notes.append(FlawNote(position, kind, item_id))
    return submissions, flaw_notes


def _nickname(rng: np.random.Generator) -> str:
    words = ("阳光", "小草", "向日葵", "清风", "老王", "明月", "秦川人", "快乐每一天", "平安是福", "静待花开")
    return str(rng.choice(words)) + (str(int(rng.integers(1, 99))) if rng.random() < 0.4 else "")

