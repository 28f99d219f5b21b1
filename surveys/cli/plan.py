"""``surveys plan``: sample sizes for a margin of error or to show a rate above its target, allocation across
districts, and the MOE-by-n table for the survey plan."""
from __future__ import annotations

import argparse
import pathlib

from surveys.errors import SurveyError

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="sample sizes, allocation across districts and the margin-of-error table",
        description=(
            "Respondents needed for a margin of error (--margin) or to show a rate above its target with a given "
            "power (--target and --true-rate), with design effect, finite population and response rate; "
            "optionally allocated across districts from a population CSV."
        ),
    )
    question = parser.add_argument_group("question (give --margin, or --target and --true-rate)")
    question.add_argument("--margin", type=float, help="half-width of the 95%% interval as a share (0.03 = ±3 points)")
    question.add_argument("--p", type=float, default=0.8, help="expected rate for --margin (default 0.8)")
    question.add_argument("--target", type=float, help="the target to exceed, as a share (0.8)")
    question.add_argument("--true-rate", type=float, help="the rate you expect in fact (e.g. 0.85)")
    question.add_argument("--power", type=float, default=0.8,
                          help="probability that the verdict is 'met' when the rate is --true-rate (default 0.8)")
    question.add_argument("--level", type=float, default=0.95,
                          help="confidence level of the interval (default 0.95); with --target the verdict's own, "
                               "so its one-sided level is (1 − level)/2 = 0.025")
    question.add_argument("--ci-method", default="logit",
                          help="interval of the verdict for --target (default logit, as `surveys run`)")
    question.add_argument("--alpha", type=float, default=None,
                          help="one-sided level of the test instead of --level (e.g. 0.05 for the textbook test; "
                               "the verdict of `surveys run` uses 0.025)")
    design = parser.add_argument_group("design")
    design.add_argument("--deff", type=float, default=1.0, help="expected design effect of the weights (default 1)")
    design.add_argument("--population", type=float, help="population size (e.g. 420 deputies) for the fpc")
    design.add_argument("--response-rate", type=float, default=1.0, help="expected response rate (default 1)")
    allocation = parser.add_argument_group("allocation")
    allocation.add_argument(
        "--allocate",
        type=pathlib.Path,
        metavar="CSV",
        help="CSV with columns stratum,population (e.g. districts) to spread the sample over",
    )
    allocation.add_argument("--method", default="proportional",
                            help="proportional (default), equal or neyman (N_h·√(p_h(1−p_h)))")
    allocation.add_argument("--minimum", type=int, default=0, help="minimum respondents per stratum")
    parser.add_argument("--table", action="store_true", help="also print the margin-of-error-by-n table")
    parser.set_defaults(handler=_run)


def _read_populations(path: pathlib.Path):
    import pandas as pd  # deferred: `surveys --help` stays light

    try:
        frame = pd.read_csv(path, dtype={"stratum": str})
    except (OSError, ValueError) as error:
        raise SurveyError(f"cannot read the allocation file {path}: {error}") from error
    missing = {"stratum", "population"} - set(frame.columns)
    if missing:
        raise SurveyError(
            f"{path} needs the columns stratum,population; found {list(frame.columns)} (missing {sorted(missing)})"
        )
    return frame.set_index("stratum")["population"]


def _run(args: argparse.Namespace) -> int:
    # deferred: planning loads scipy; `surveys --help` stays light
    from surveys.planning import allocate, margin_table, plan_sample_size

    plan = plan_sample_size(
        margin=args.margin,
        threshold=args.target,
        true_rate=args.true_rate,
        p=args.p,
        level=args.level,
        power=args.power,
        alpha=args.alpha,
        ci_method=args.ci_method,
        design_effect=args.deff,
        population=args.population,
        response_rate=args.response_rate,
    )
    if plan.question == "margin":
        print(f"样本量 / respondents for ±{plan.parameters['margin'] * 100:.1f} points at p = {plan.parameters['p']:g} "
              f"({plan.level:.0%} confidence)")
    else:
        parameters = plan.parameters
        print(f"样本量 / respondents for the verdict to be 'met' (达标（有统计把握）) with probability "
              f"{parameters['power']:.0%} when the rate is {parameters['true_rate']:.0%} against "
              f"{parameters['threshold']:.0%} ({parameters['ci_method']} interval, one-sided α = "
              f"{parameters['alpha']:.3g}"
              + (", the rule `surveys run` judges by)" if abs(parameters["alpha"] - 0.025) < 1e-12
                 and parameters["ci_method"] == "logit" else "; the default verdict of `surveys run` uses logit and "
                 "α = 0.025)"))
        print(f"  normal approximation      {parameters['normal_approximation']:10.1f}")
        print(f"  first n reaching it       {parameters['first_size_reaching_power']:10d}  "
              f"(exact power {parameters['power_at_first_size']:.1%})")
        print(f"  every n from here on      {plan.simple_random_size:10.0f}  "
              f"(exact power {parameters['power_achieved']:.1%}; power saw-tooths with n)")
    print(f"  simple random sample      {plan.simple_random_size:10.1f}")
    print(f"  × design effect {plan.design_effect:<9g} {plan.with_design_effect:10.1f}")
    if plan.population is not None:
        print(f"  finite population {plan.population:<7g} {plan.respondents:10d}")
    print(f"  completes needed          {plan.respondents:10d}")
    print(f"  invitations at {plan.response_rate:.0%} response {plan.invitations:7d}")
    if args.allocate is not None:
        table = allocate(plan.respondents, _read_populations(args.allocate), method=args.method, minimum=args.minimum)
        print()
        print(f"allocation ({args.method}, minimum {args.minimum} per stratum):")
        print(table.to_string(index=False, formatters={"sampling_fraction": "{:.4%}".format}))
    if args.table:
        rate = args.p if args.margin is not None else args.target
        rates = sorted({rate, 0.5, 0.9}, reverse=True)
        table = margin_table(rates=rates, level=args.level, design_effect=args.deff, population=args.population)
        print()
        print("margin of error (± points) by respondents:")
        formatted = table.drop(columns=["census"]).copy()
        for column in formatted.columns[1:]:
            formatted[column] = (formatted[column] * 100).map("{:.1f}".format)
        formatted["note"] = ["n ≥ N：全部调查（普查），无抽样误差 / census: no sampling error" if census else ""
                             for census in table["census"]]
        print(formatted.to_string(index=False))
    return 0
