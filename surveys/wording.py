"""The zh/en wording: a text in both languages, a table of them, and the one language check.

Every word a reader sees exists in Chinese and English. The words stay with the stage that prints them (the
report's furniture in :mod:`surveys.report.labels`, the charts' in :mod:`surveys.charts.text`, the analyses'
sentences in :mod:`surveys.indicators.wording`, the reasons a row is rejected in :mod:`surveys.validate`); this
module is how all of them are looked up::

    WORDS = Wording({"wave": ("调查波次：{wave}", "Survey wave: {wave}")}, error=ReportError, subject="report language")
    WORDS.get("wave", "en", wave="2026")   # 'Survey wave: 2026'

``get`` checks the language (:func:`check_language`: ``'zh'`` or ``'en'``, else the stage's own error), picks the
words and fills the ``{placeholders}``.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Iterator, Mapping, Union

from surveys.errors import QuestionnaireError, SurveyError

__all__ = ["LANGUAGES", "Text", "Wording", "check_language"]

LANGUAGES = ("zh", "en")


def check_language(lang: Any, *, error: type[SurveyError] = SurveyError, subject: str = "language") -> str:
    """``lang`` if it is ``'zh'`` or ``'en'``; else ``error`` saying what ``subject`` must be."""
    if lang not in LANGUAGES:
        raise error(f"{subject} must be 'zh' or 'en'; found {lang!r}; use 'zh' (Chinese) or 'en' (English)")
    return str(lang)


@dataclass(frozen=True)
class Text:
    """A text in both languages: Chinese (what respondents saw, what reports print first) and English."""

    zh: str
    en: str

    def get(self, lang: str = "zh") -> str:
        """The text in ``lang`` ("zh" or "en"); an empty English text falls back to Chinese."""
        # Text began as the questionnaire's label type: a wrong language stays a QuestionnaireError.
        if check_language(lang, error=QuestionnaireError) == "en":
            return self.en or self.zh
        return self.zh

    def __str__(self) -> str:
        return self.zh


# A table's entry as a stage writes it: a Text, a (zh, en) pair or a {"zh": …, "en": …} mapping.
Entry = Union[Text, "tuple[str, str]", Mapping[str, str]]


def _text(entry: Entry) -> Text:
    if isinstance(entry, Text):
        return entry
    if isinstance(entry, tuple):
        return Text(*entry)
    return Text(entry["zh"], entry["en"])


class Wording:
    """A stage's zh/en wording table: key → :class:`Text`, looked up with :meth:`get`.

    ``error`` and ``subject`` word the language check in the stage's terms (a chart language is a
    :class:`~surveys.errors.ChartError`); ``unknown`` turns a key the table does not have into the words shown
    (e.g. a vocabulary code from a newer stage shown as it is); without it an unknown key is a bug (KeyError).
    """

    def __init__(self, entries: Mapping[str, Entry], *, error: type[SurveyError] = SurveyError,
                 subject: str = "language", unknown: Callable[[str], str] | None = None) -> None:
        self._texts: Mapping[str, Text] = MappingProxyType({key: _text(entry) for key, entry in entries.items()})
        self._error = error
        self._subject = subject
        self._unknown = unknown

    def check_language(self, lang: Any) -> str:
        """``lang`` if it is ``'zh'`` or ``'en'``; else the table's error."""
        return check_language(lang, error=self._error, subject=self._subject)

    def get(self, key: str, lang: str, **values: Any) -> str:
        """The words of ``key`` in ``lang`` with ``values`` filled into their ``{placeholders}``."""
        lang = self.check_language(lang)
        text = self._texts.get(key)
        if text is None:
            if self._unknown is None:
                raise KeyError(key)
            return self._unknown(key)
        words = text.get(lang)
        return words.format(**values) if values else words

    def __getitem__(self, key: str) -> Text:
        return self._texts[key]

    def __contains__(self, key: object) -> bool:
        return key in self._texts

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def items(self) -> Iterator[tuple[str, Text]]:
        return iter(self._texts.items())
