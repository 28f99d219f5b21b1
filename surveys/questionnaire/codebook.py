"""A readable codebook of one questionnaire: what ``surveys questionnaire show`` prints.

Plain text, one language at a time (``zh`` or ``en``; codes, ids and keys are language-neutral).
Sections: identity, scales (codes, labels, satisfied / don't-know marks, scores), items (text, type,
role, scale, skip logic, correct answers), measures and targets, weighting variables, platform
mappings (column keys and option orders that differ from the scale).
"""
from __future__ import annotations

from surveys.display import display_width as _display_width
from surveys.errors import QuestionnaireError
from surveys.questionnaire.model import Condition, Item, Measure, Questionnaire, Scale
from surveys.wording import Wording

__all__ = ["render_codebook"]

_HEADINGS = Wording({
    "unit": ("责任单位", "Responsible unit"),
    "population": ("调查对象", "Population"),
    "modes": ("调查方式", "Modes"),
    "scales": ("量表", "Scales"),
    "items": ("题目", "Items"),
    "measures": ("指标", "Measures"),
    "weighting": ("加权变量", "Weighting variables"),
    "platforms": ("平台映射", "Platform mappings"),
    "satisfied": ("计入满意率", "counts as satisfied"),
    "dont_know": ("不了解/不适用", "don't know / n.a."),
    "score": ("分值", "score"),
    "asked_if": ("跳题逻辑：仅当", "Asked only if"),
    "optional": ("选答", "optional"),
    "required": ("必答", "required"),
    "correct": ("正确答案", "correct answer"),
    "target": ("目标", "target"),
    "headline": ("核心指标", "HEADLINE"),
    "from_frame": ("非题目（来自抽样框或数据来源）", "not an item (from the frame or the source file)"),
    "item": ("题目", "item"),
    "base_all": ("基数：全部有效回答（含不了解）", "base: all valid answers (don't-know kept)"),
    "base_exclude": ("基数：剔除不了解", "base: don't-know excluded"),
    "positive": ("计为满意的代码", "positive codes"),
    "options": ("选项顺序", "option order"),
    "scale": ("量表", "scale"),
    "rule": ("判定规则", "verdict rule"),
    "and": ("且", "and"),
}, error=QuestionnaireError)


def _condition_text(condition: Condition, questionnaire: Questionnaire, lang: str) -> str:
    scale = questionnaire.scale_of(condition.item)
    labels = [f"{code} {scale.label(code, lang)}" if scale is not None else str(code) for code in condition.values]
    operator = "∉" if condition.negate else "∈"
    return f"{condition.item} {operator} {{{', '.join(labels)}}}"


def _scale_lines(scale: Scale, words: dict[str, str], lang: str) -> list[str]:
    kind = "multiple" if scale.multiple else "single"
    positive = f"; {words['positive']} {list(scale.satisfied_codes)}" if scale.satisfied_codes else ""
    lines = [f"  {scale.id} ({kind}{positive})"]
    for category in scale.categories:
        marks = []
        if category.satisfied:
            marks.append(f"✓ {words['satisfied']}")
        if category.dont_know:
            marks.append(f"? {words['dont_know']}")
        if category.score is not None:
            marks.append(f"{words['score']} {category.score:g}")
        flags = f"   [{'; '.join(marks)}]" if marks else ""
        lines.append(f"    {category.code:>3}  {category.label.get(lang)}{flags}")
    return lines


def _item_lines(number: int, item: Item, questionnaire: Questionnaire, words: dict[str, str], lang: str) -> list[str]:
    flags = [item.type, item.role]
    if item.scale:
        flags.append(f"{words['scale']} {item.scale}")
    flags.append(words["required"] if item.required else words["optional"])
    lines = [f"  {number:>2}. {item.id}  ({', '.join(flags)})", f"      {item.text.get(lang)}"]
    if item.note is not None:
        lines.append(f"      ({item.note.get(lang)})")
    if item.asked_if:
        joined = f" {words['and']} ".join(_condition_text(c, questionnaire, lang) for c in item.asked_if)
        lines.append(f"      {words['asked_if']} {joined}")
    if item.correct_answer is not None:
        scale = questionnaire.scale_of(item.id)
        label = scale.label(item.correct_answer, lang) if scale is not None else ""
        lines.append(f"      {words['correct']}: {item.correct_answer} {label}".rstrip())
    return lines


def _measure_lines(measure: Measure, words: dict[str, str], lang: str) -> list[str]:
    headline = f"  ★ {words['headline']}" if measure.headline else ""
    lines = [f"  {measure.id} ({measure.kind}): {measure.label.get(lang)}{headline}",
             f"      {words['item']}: {', '.join(measure.items)}",
             f"      {words['base_all'] if measure.base == 'all' else words['base_exclude']}"]
    if measure.satisfied_codes is not None:
        lines.append(f"      {words['positive']}: {list(measure.satisfied_codes)}")
    if measure.target is not None:
        target = measure.target
        lines.append(f"      {words['target']}: {measure.id} {target.comparison} {target.threshold:.0%} "
                     f"({words['rule']}: {target.rule})")
    return lines


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _display_width(text))


def _platform_lines(questionnaire: Questionnaire, words: dict[str, str], lang: str) -> list[str]:
    names = list(questionnaire.platforms)
    if not names:
        return []
    rows = [[words["item"]] + names]
    for item in questionnaire.items:
        rows.append([item.id] + [questionnaire.platforms[name].columns.get(item.id, "—") for name in names])
    widths = [max(_display_width(row[column]) for row in rows) + 2 for column in range(len(rows[0]))]
    lines = ["  " + "".join(_pad(cell, width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    for name in names:
        # Items sharing one option order are listed together: one line per distinct order.
        orders: dict[tuple[tuple[str, int], ...], list[str]] = {}
        for item_id in questionnaire.platforms[name].value_maps:
            orders.setdefault(questionnaire.platform_options(name, item_id), []).append(item_id)
        for options, item_ids in orders.items():
            listing = ", ".join(f"{position}:{label}→{code}" for position, (label, code) in enumerate(options, 1))
            lines.append(f"  {name} {words['options']} ({', '.join(item_ids)}): {listing}")
    return lines


def render_codebook(questionnaire: Questionnaire, lang: str = "zh") -> str:
    """The codebook of ``questionnaire`` as plain text in ``lang`` ("zh" or "en")."""
    words = {key: _HEADINGS.get(key, lang) for key in _HEADINGS}
    q = questionnaire
    lines = [f"{q.title.get(lang)}  [{q.id} v{q.version}]", f"{words['unit']}: {q.unit.get(lang)}",
             f"{words['population']}: {q.population_label.get(lang)} ({q.population})",
             f"{words['modes']}: {', '.join(q.modes)}"]
    if q.description is not None:
        lines.append(q.description.get(lang))
    lines += ["", f"{words['scales']}"]
    for scale in q.scales.values():
        lines += _scale_lines(scale, words, lang)
    lines += ["", f"{words['items']}"]
    for number, item in enumerate(q.items, 1):
        lines += _item_lines(number, item, q, words, lang)
    lines += ["", f"{words['measures']}"]
    for measure in q.measures:
        lines += _measure_lines(measure, words, lang)
    lines += ["", f"{words['weighting']}"]
    for variable in q.weighting:
        source = variable.item if variable.item is not None else words["from_frame"]
        categories = ", ".join(
            f"{c.code} {c.label.get(lang)}" + (f" ({c.key})" if c.key else "") for c in variable.categories)
        lines.append(f"  {variable.id} ← {source}: {variable.label.get(lang)}")
        lines.append(f"      {categories}")
    lines += ["", f"{words['platforms']}"]
    lines += _platform_lines(q, words, lang)
    return "\n".join(lines) + "\n"
