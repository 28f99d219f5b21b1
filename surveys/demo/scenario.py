"""The demo's data: the fictional city of 秦川市 (Qinchuan) and the survey season it runs.

Everything the demo invents lives in this module — district sizes, age structures, enterprise counts,
the proposal register, the true population satisfaction of every instrument, sample sizes, the online
skew and the flaw rates. The rest of :mod:`surveys.demo` is generic: it reads the questionnaires and
this table, never a question id or a district name of its own.

The numbers are invented but plausible for a prefecture-level city of about 3.1 million people
(2.5 million aged 18+), with six urban districts and four counties; the shapes follow what
docs/scoring.md §4 reports for city satisfaction surveys (1,000–4,000 respondents a round, split by respondent
group: here several hundred to about 2,000 per instrument, split between paper and online).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

# the seed of `surveys demo` (the city, its samples and their flaws are a function of it)
DEFAULT_SEED = 20261126

__all__ = [
    "CITY",
    "District",
    "DISTRICTS",
    "AGE_GROUPS",
    "AGE_SHARES",
    "MALE_SHARE_BY_AGE",
    "ENTERPRISE_SIZES",
    "ENTERPRISE_SIZE_SHARES",
    "MARKET_ENTITY_MIX",
    "MARKET_ENTITIES_PER_ENTERPRISE",
    "MARKET_ENTITY_SIZE_SHARES",
    "ITEM_OVERRIDES",
    "NUMBER_RANGES",
    "PROPOSAL_ITEMS",
    "PROPOSAL_KINDS",
    "PROPOSAL_TOPICS",
    "DEPARTMENTS",
    "PROPOSALS",
    "PlantedEffects",
    "InstrumentPlan",
    "INSTRUMENTS",
    "OnlineSkew",
    "ONLINE_SKEW",
    "SatisfactionModel",
    "SATISFACTION_MODEL",
    "FlawRates",
    "FLAW_RATES",
    "KEYING",
    "FIELD_PERIOD",
    "MARGIN_SOURCES",
    "PROVINCE",
    "OTHER_PLACES",
    "COMMENTS",
    "COMMENT_SHARE",
    "SURNAMES",
    "GIVEN_NAMES",
]

CITY = MappingProxyType({"zh": "秦川市", "en": "Qinchuan", "province": "陕西"})
PROVINCE = "陕西"
# Where an online respondent's IP is located: "陕西-秦川" (the province and the city itself) for nearly
# everyone; FLAW_RATES.outside_city of the rows come from one of these places outside the province.
OTHER_PLACES = ("广东-深圳", "北京-北京", "上海-上海", "四川-成都", "河南-郑州")


@dataclass(frozen=True)
class District:
    """A district (区) or county (县) with its adult population and registered enterprises."""

    code: int
    name: str
    urban: bool
    adults: int          # residents aged 18+
    enterprises: int     # registered enterprises (企业法人), all sizes
    high_tech: bool = False


DISTRICTS: tuple[District, ...] = (
    District(1, "中心区", True, 418_000, 16_900),
    District(2, "东城区", True, 376_000, 11_800),
    District(3, "西城区", True, 342_000, 9_600),
    District(4, "南湖区", True, 297_000, 7_400),
    District(5, "北塬区", True, 263_000, 5_100),
    District(6, "高新区", True, 221_000, 9_300, high_tech=True),
    District(7, "青山县", False, 182_000, 2_900),
    District(8, "河川县", False, 151_000, 2_300),
    District(9, "柳林县", False, 133_000, 1_900),
    District(10, "石桥县", False, 112_000, 1_600),
)

AGE_GROUPS = (1, 2, 3, 4, 5, 6)  # 18–29, 30–39, 40–49, 50–59, 60–69, 70+
# Share of adults by age group: the urban districts are younger than the counties.
AGE_SHARES = MappingProxyType({
    "urban": (0.205, 0.215, 0.190, 0.170, 0.130, 0.090),
    "county": (0.130, 0.150, 0.180, 0.200, 0.190, 0.150),
})
MALE_SHARE_BY_AGE = (0.512, 0.507, 0.503, 0.497, 0.482, 0.441)

ENTERPRISE_SIZES = (1, 2, 3, 4)  # 大型, 中型, 小型, 微型
ENTERPRISE_SIZE_SHARES = MappingProxyType({
    "urban": (0.004, 0.028, 0.178, 0.790),
    "high_tech": (0.009, 0.052, 0.259, 0.680),
    "county": (0.002, 0.016, 0.132, 0.850),
})
# Market entities besides enterprises (respondent_type 3 个体工商户, 4 其他组织), per registered enterprise
# of the district, with their size classes.
MARKET_ENTITIES_PER_ENTERPRISE = MappingProxyType({
    3: MappingProxyType({"urban": 2.1, "county": 3.6}),
    4: MappingProxyType({"urban": 0.12, "county": 0.20}),
})
MARKET_ENTITY_SIZE_SHARES = MappingProxyType({
    3: (0.0, 0.0, 0.03, 0.97),
    4: (0.01, 0.06, 0.33, 0.60),
})
# The market-entity sample by respondent type (codes of respondent_type): enterprises are over-sampled
# relative to their share of market entities, so weighting by respondent type matters there too.
# Residents (1) are sampled from the resident frame.
MARKET_ENTITY_MIX = MappingProxyType({2: 0.62, 3: 0.32, 4: 0.06})

DEPARTMENTS = (
    "市发展和改革委员会", "市教育局", "市公安局", "市民政局", "市司法局", "市自然资源和规划局",
    "市生态环境局", "市住房和城乡建设局", "市交通运输局", "市农业农村局", "市卫生健康委员会",
    "市市场监督管理局", "市城市管理执法局", "市人力资源和社会保障局",
)
# Proposals handled this year by deputy type (deputy_type 1 人大代表 建议, 2 政协委员 提案), the share
# of feedback forms returned, and the result classes (A solved … D kept for reference).
PROPOSALS = MappingProxyType({
    "counts": MappingProxyType({1: 226, 2: 158}),
    "department_weights": (6, 9, 7, 5, 4, 6, 6, 9, 8, 7, 8, 6, 5, 6),
    "returned_share": 0.90,
    "result_class_shares": MappingProxyType({"A": 0.57, "B": 0.34, "C": 0.05, "D": 0.04}),
    # P(satisfied or basically satisfied) with the handling work / the result, by result class: near
    # 100% as published results are (docs/scoring.md §5); a D-class reply can still be 基本满意.
    "work_satisfied_by_class": MappingProxyType({"A": 0.995, "B": 0.985, "C": 0.95, "D": 0.85}),
    "result_satisfied_by_class": MappingProxyType({"A": 0.99, "B": 0.96, "C": 0.88, "D": 0.70}),
    "top_category_share": 0.82,   # of the satisfied: 满意 rather than 基本满意
    "comment_share": 0.22,        # forms with something in 其他意见
})


@dataclass(frozen=True)
class PlantedEffects:
    """What one instrument's answers carry beyond the common :class:`SatisfactionModel`: the findings its group
    comparisons and driver analysis should recover (``tests/test_indicators.py`` checks that they do).

    ``district``: district code → shift of the latent mean of every opinion item for the district's respondents
    (a district where the work is done less well). ``online``: shift of an online respondent's latent means
    against a paper respondent's in the same cell — a real mode effect (answering alone on a phone is more
    critical than answering a paper form handed out by a community worker), not explained by who answers online.
    ``importance``: topic item id → loading ``λ`` of the overall item(s) on the item's own part: an overall answer
    is driven more by some items than by others (:mod:`surveys.demo.model`). ``item_offsets``: item id → its
    offset from the headline on the latent scale (how well the item is rated), replacing the generic spread of
    :attr:`InstrumentPlan.item_spread` for the items named.

    The truths stay calibrated: the district effect is part of each cell's mean, the overall item's latent stays
    ``N(mean, 1)`` given the cell, and with a mode effect the true value is the population's answer in the
    instrument's planned mix of modes (the share of online interviews); the common shift is solved so that the
    headline measure equals :attr:`InstrumentPlan.headline_truth` under all of them.
    """

    district: Mapping[int, float] = field(default_factory=lambda: MappingProxyType({}))
    online: float = 0.0
    importance: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    item_offsets: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))


NO_EFFECTS = PlantedEffects()


@dataclass(frozen=True)
class InstrumentPlan:
    """How the demo fields one instrument.

    ``headline_truth`` is the true population 满意率 of the headline measure (base: every valid answer,
    don't-know included, docs/scoring.md §3 (a)) — for ``residents+market`` over the pooled population of
    residents and market entities, each counted once. ``verdict`` is the verdict this truth is chosen
    to produce at the default seed and sample sizes (checked in ``tests/test_demo_model.py`` with a
    raked estimate and a Kish-effective-size interval): the four plan indicators measured by sample
    (social stability, market supervision, grassroots governance, law-based administration) land one
    in each verdict; legal awareness is a fifth, clearly met. ``paper`` and ``online`` are completed
    interviews per mode; ``market_online`` / ``market_paper`` of them come from the market-entity
    frame instead of the resident frame.
    """

    id: str
    frame: str                   # "residents", "residents+market" or "proposals"
    # verdict: one of surveys.indicators.targets.VERDICTS ("met", "met_within_margin", "not_met_within_margin",
    # "not_met") or "census" for the proposal forms
    headline_truth: float
    verdict: str
    paper: int
    online: int
    online_platform: str         # "wjx" or "tencent"
    market_online: int = 0
    market_paper: int = 0
    dont_know: float = 0.03      # probability of a don't-know answer on a satisfaction item
    item_spread: float = 0.25    # spread of the other items around the headline (probit units)
    effects: PlantedEffects = NO_EFFECTS


# Grassroots self-governance misses 80% for reasons the report should name: two urban districts where the
# committees are still loaded with government work, online respondents more critical than paper ones, and an
# overall answer driven mostly by relief from that work and by non-interference — the two items rated worst.
GRASSROOTS_EFFECTS = PlantedEffects(
    district=MappingProxyType({1: -0.50, 4: -0.50}),          # 中心区, 南湖区
    online=-0.30,
    importance=MappingProxyType({"workload_relief": 0.60, "non_interference": 0.50, "rights_protection": 0.30}),
    item_offsets=MappingProxyType({"election_fairness": 0.10, "affairs_openness": 0.20, "democratic_decision": -0.10,
                                   "democratic_supervision": 0.15, "rights_protection": 0.10,
                                   "non_interference": -0.15, "workload_relief": -0.25}),
)

INSTRUMENTS: Mapping[str, InstrumentPlan] = MappingProxyType({
    plan.id: plan for plan in (
        InstrumentPlan("social_stability", "residents", 0.905, "met",
                       paper=560, online=640, online_platform="tencent", dont_know=0.02),
        InstrumentPlan("market_supervision", "residents+market", 0.817, "met_within_margin",
                       paper=600, online=900, online_platform="wjx",
                       market_online=360, market_paper=120, dont_know=0.04),
        InstrumentPlan("grassroots_governance", "residents", 0.788, "not_met_within_margin",
                       paper=620, online=580, online_platform="wjx", dont_know=0.04,
                       effects=GRASSROOTS_EFFECTS),
        InstrumentPlan("law_based_administration", "residents", 0.715, "not_met",
                       paper=0, online=880, online_platform="wjx", dont_know=0.05),
        InstrumentPlan("legal_awareness", "residents", 0.870, "met",
                       paper=0, online=820, online_platform="wjx", dont_know=0.03),
        InstrumentPlan("proposal_handling", "proposals", 0.0, "census",
                       paper=0, online=0, online_platform="paper", dont_know=0.0),
    )
})


@dataclass(frozen=True)
class OnlineSkew:
    """Relative chance of answering online, by age group and by urban/county residence.

    An online link spread through WeChat reaches the young and the urban: the sample's age profile
    and district mix differ from the population's, which is what weighting corrects.
    """

    by_age: tuple[float, ...] = (2.2, 1.8, 1.3, 0.85, 0.5, 0.25)
    urban: float = 1.5
    county: float = 0.7
    paper_by_age: tuple[float, ...] = (0.8, 0.9, 1.0, 1.1, 1.15, 1.1)


ONLINE_SKEW = OnlineSkew()


@dataclass(frozen=True)
class SatisfactionModel:
    """The latent model of answers (a probit with a person effect), in standard-deviation units.

    Respondent r in population cell c answers item i on the latent
    ``z = alpha_i + age_effect[age] + urban_effect·urban (+ market_effect) (+ the instrument's
    :class:`PlantedEffects`) + u_r + e_ri`` with
    ``u_r ~ N(0, person_share)`` and ``e_ri ~ N(0, 1 - person_share)``, so ``z | c ~ N(mean_ic, 1)`` and
    ``P(satisfied | c) = Φ(mean_ic)`` in closed form; ``alpha_i`` is solved so that the population
    average equals the chosen truth. The category follows thresholds on ``z``: satisfied categories
    above 0, ``category_step`` apart (best at the top), unsatisfied ones below 0. The person effect
    makes a respondent's items correlate. Older and county residents are more satisfied, so the
    young, urban online sample underestimates until it is weighted.
    """

    age_effect: tuple[float, ...] = (-0.40, -0.24, -0.05, 0.12, 0.28, 0.40)
    urban_effect: float = -0.20
    market_effect: float = 0.10
    person_share: float = 0.6
    category_step: float = 0.9


SATISFACTION_MODEL = SatisfactionModel()


@dataclass(frozen=True)
class FlawRates:
    """How often each flaw occurs (share of online rows, or of paper cells / forms)."""

    duplicate: float = 0.012          # a second submission from the same person minutes later
    speeder: float = 0.018            # 所用时间 far too short, answers careless
    straight_liner: float = 0.015     # every satisfaction item on the same option
    attention_fail: float = 0.025     # the instructed answer not chosen
    blank_optional: float = 0.04      # an optional item left blank ((空))
    outside_city: float = 0.006       # IP located outside the province
    out_of_range: float = 0.004       # paper: a code outside the scale keyed (6, 9 on 1–5)
    paper_blank: float = 0.006        # paper: a question left blank on the form
    keyed_once: float = 0.03          # paper: a form only in clerk A's workbook
    keying_error: float = 0.005       # paper: share of cells where clerk B differs


FLAW_RATES = FlawRates()

# Paper keying: the clerks and the kinds of keying error, with their relative frequency.
KEYING = MappingProxyType({
    "clerks": ("录入员甲", "录入员乙"),
    "error_kinds": MappingProxyType({"neighbouring_code": 0.5, "swapped_digits": 0.25, "missed_cell": 0.25}),
})

# The fieldwork period of the survey season (online submissions and paper interviews).
FIELD_PERIOD = MappingProxyType({"start": "2026-10-12", "end": "2026-11-08", "wave": "2026"})

MARGIN_SOURCES = MappingProxyType({
    "residents": ("第七次全国人口普查 2020 年推算, 秦川市统计局（虚构）", "2025-12-31"),
    "enterprises": ("秦川市市场主体登记库（虚构）", "2026-06-30"),
    "proposals": ("秦川市人大常委会代表工委、市政协提案委（虚构）", "2026-09-30"),
})

# Share of respondents who write something into an optional comment box.
COMMENT_SHARE = 0.2
COMMENTS = (
    "希望加强食品安全检查。", "办事效率有提高，点赞。", "小区周边停车难的问题希望解决。",
    "投诉处理速度还可以再快一些。", "社区工作人员很热情。", "网上办事流程还是有点复杂。",
    "希望多开展普法宣传进社区。", "夜间巡逻明显增加了，感觉安全。", "价格欺诈问题仍然存在。",
    "答复及时，办理认真。", "建议进一步落实，持续跟进。", "无", "没有意见", "部分问题尚未解决，希望继续推进。",
)
SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗")
GIVEN_NAMES = ("建国", "秀英", "伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞", "平")

# Items whose answers the scenario draws from a fixed distribution instead of the generic rule:
# questionnaire id → frame → item id → {code: weight}.
ITEM_OVERRIDES: Mapping[str, Mapping[str, Mapping[str, Mapping[int, float]]]] = MappingProxyType({
    # about one household in six contacted the authorities (petition, 12345) in the past year
    "social_stability": {"residents": {"contacted_authorities": {1: 0.17, 2: 0.83}}},
    # turnout at the last village/residents' committee election, as remembered
    "grassroots_governance": {"residents": {"voted_in_election": {1: 0.56, 2: 0.37, 9: 0.07}}},
    # about a third used an administrative service (permit, licence, certificate) in the past year
    "law_based_administration": {"residents": {"used_services": {1: 0.36, 2: 0.64}}},
})

# Plausible ranges of "number" items (item id → (low, high)); "default" for any other.
NUMBER_RANGES = MappingProxyType({"default": (0, 10)})

# The proposal feedback form's items as the proposal generator uses them (role in the scenario → item id
# of the proposal_handling questionnaire). The register and the census result follow PROPOSALS above.
PROPOSAL_ITEMS = MappingProxyType({
    "number": "proposal_number",
    "deputy_type": "deputy_type",
    "kind": "proposal_kind",
    "department": "handling_department",
    "result_class": "result_class",
    "on_time": "replied_on_time",
    "contacted": "contacted_before_reply",
    "work": "work_satisfaction",
    "result": "result_satisfaction",
    "overall": "overall",
})
# proposal_kind codes by deputy type: NPC deputies submit suggestions (and a few motions), CPPCC members proposals.
PROPOSAL_KINDS = MappingProxyType({1: MappingProxyType({1: 0.03, 2: 0.97}), 2: MappingProxyType({3: 1.0})})
PROPOSAL_TOPICS = (
    "关于加强校园周边食品安全监管", "关于优化老旧小区加装电梯审批流程", "关于完善农村饮水安全保障",
    "关于规范城区停车收费管理", "关于加快推进智慧社区建设", "关于加强基层人民调解队伍建设",
    "关于提升12345热线办理质量", "关于加大中小微企业纾困帮扶力度", "关于推进城乡公交一体化",
    "关于加强河道生态治理", "关于完善养老服务体系", "关于规范校外培训机构",
    "关于加强农贸市场价格监管", "关于推进法治宣传教育进乡村", "关于改善城区交通拥堵",
)  # + "的建议" (NPC deputies) or "的提案" (CPPCC members)
