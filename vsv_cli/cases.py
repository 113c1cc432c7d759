"""`vsv cases`: the officers' work queue. `sync` makes cases of the office's events since the last sync (scored by
the champion, each as of its own day); `list` counts the cases per status and kind (and the draws by lot); `export`
writes the recorded cases for `vsv routes evaluate`. Counts only on the screen: no youth ids."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

import typer

from vsv_cli.common import fail, parse_date, read_checked

cases_app = typer.Typer(help="The officers' work queue: every 18+ absence report and new leaver becomes a case.",
                        no_args_is_help=True, rich_markup_mode=None)

ConfigOption = Annotated[Path | None, typer.Option(help="The region's TOML file: its [casework] deadlines (working "
                                                   "days per kind of event), repeat period and places.")]


def casework_rules(config: Path | None):
    """The region's work-queue settings; exits 2 naming the file and the problem."""
    from casework.model import CaseworkRules

    if config is not None and not config.exists():
        fail(f"{config}: no such config file")
    try:
        return CaseworkRules.from_toml(config)
    except (ValueError, TypeError) as exc:
        fail(str(exc))


@cases_app.command("sync")
def sync(
    data: Annotated[Path, typer.Option(help="Data directory with the four tables (CSV or Parquet).")],
    since: Annotated[str | None, typer.Option(help="First event day, YYYY-MM-DD (default: the day after the last "
                                              "sync; the first sync takes the repeat period before the data's end). "
                                              "Events already stored are skipped, so an overlap is harmless.")] = None,
    config: ConfigOption = None,
    version: Annotated[str | None, typer.Option(help="Model version (default: the champion).")] = None,
) -> None:
    """Make cases of the office's events (18+ absence reports, new leavers) from the last sync to the data's end:
    each scored as of its own day by the champion; a repeat report within the repeat period joins the youth's open
    case and escalates its advice (letter, conversation, matchmaker). Prints counts; the cases go to the service's
    database (VSV_DATABASE_URL)."""
    from casework.sync import sync_cases
    from features.office_events import EventRules
    from serving.case_events import case_scorer
    from serving.database import open_database
    from serving.route_advice import load_advice
    from vsv_cli.scores import load_scoring_model
    from vsv_model.settings import Settings

    rules = casework_rules(config)
    settings = Settings.from_env()
    with ThreadPoolExecutor(max_workers=1) as pool:  # the model loads while the data is read
        loading = pool.submit(load_scoring_model, settings, version)
        dataset, problem = read_checked(data)
        served = loading.result()
    if problem is not None:
        fail(problem)
    advice = load_advice(settings)  # a promoted route policy, else the tier advice (the log says which, and why)
    started = time.perf_counter()
    event_rules = EventRules(repeat_days=rules.repeat_days, min_age=served.group.min_age, max_age=served.group.max_age)
    try:
        result = sync_cases(open_database(settings.database_url), dataset, case_scorer(served, advice), rules,
                            since=parse_date(since) if since else None, event_rules=event_rules)
    except ValueError as exc:
        fail(str(exc))
    if result.since > result.until:
        typer.echo(f"No new days: the last sync already reached the data's end ({result.until}).")
        return
    typer.echo(f"Synced the events from {result.since} to {result.until} with model version {served.version} "
               f"({served.fingerprint}) in {time.perf_counter() - started:.1f} s, advice: {advice_line(advice)}:")
    for line in sync_lines(result):
        typer.echo(line)


def sync_lines(result) -> list[str]:
    rows = [("events read", result.events_read), ("already known (skipped)", result.known),
            ("new events stored", result.new), ("cases opened", result.opened),
            ("attached to an open case", result.attached), ("  of which escalated", result.escalated)]
    if result.not_scored:
        rows.append(("not scored (outside the model's group)", result.not_scored))
    return [f"  {name:<40} {count:>7,}" for name, count in rows]


@cases_app.command("list")
def list_cases(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only the overdue cases (deadline before today).")] = False,
) -> None:
    """Count the cases per status and kind of their latest event, with how many are overdue (VSV_TODAY sets today)."""
    from casework.model import STATUS_LABELS_NL
    from casework.store import CaseStore
    from serving.database import open_database
    from vsv_model.settings import Settings

    settings = Settings.from_env()
    today = settings.current_date()
    store = CaseStore(open_database(settings.database_url))
    counts = store.counts(today)
    column = "overdue" if overdue else "cases"
    counts = counts[counts[column] > 0]
    typer.echo(f"{int(counts[column].sum()):,} {'overdue ' if overdue else ''}case(s) on {today}"
               + (" (deadline before today)" if overdue else f", of which {int(counts['overdue'].sum()):,} overdue") + ":")
    for row in counts.itertuples(index=False):
        extra = "" if overdue else f" ({row.overdue:,} overdue)"
        typer.echo(f"  {STATUS_LABELS_NL[row.status]:<16} {row.last_kind:<14} {getattr(row, column):>7,}{extra}")
    if not overdue:
        typer.echo(draw_line(store))


def draw_line(store) -> str:
    """The randomised share in one line: cases drawn by lot, and how many draws the officers refused."""
    from casework.oversight import draw_report

    report = draw_report(store.engine)
    share = f" ({report.share_refused:.0%})" if report.draws else ""
    return f"Drawn by lot: {report.draws:,} case(s), of which {report.refused:,} refused{share}."


@cases_app.command("export")
def export(
    out: Annotated[Path, typer.Option(help="The file to write (.csv or .parquet), in the layout of office_cases.csv.")],
    since: Annotated[str | None, typer.Option("--from", help="First event day, YYYY-MM-DD (default: the first).")] = None,
    until: Annotated[str | None, typer.Option("--to", help="Last event day, YYYY-MM-DD (default: the last).")] = None,
) -> None:
    """Write the office's recorded cases: one row per event of a case with a decided route (letter, conversation,
    matchmaker), with its score, the advice of the policy in force, the route taken, and the draw (randomised, its
    chance, refused and why). Safe to open in a spreadsheet. Holds pseudonymous youth ids: keep it with the cases."""
    from casework.export import office_cases
    from serving.database import open_database
    from vsv_model.settings import Settings
    from vsv_model.table_io import write_frame

    first, last = (parse_date(day) if day else None for day in (since, until))
    if first and last and first > last:
        fail(f"--from {first} lies after --to {last}")
    try:
        result = office_cases(open_database(Settings.from_env().database_url), first, last)
        write_frame(result.frame, out)
    except ValueError as exc:
        fail(str(exc))
    typer.echo(f"Wrote {len(result.frame):,} event(s) of decided cases to {out} "
               f"({int(result.frame['randomised'].sum()):,} drawn by lot, {int(result.frame['refused'].sum()):,} refused); "
               f"not written: {result.undecided:,} of undecided cases, {result.other_route:,} with another route or none.")


@cases_app.command("outcomes")
def outcomes(
    data: Annotated[Path, typer.Option(help="Data directory with the four tables: the registrations that came in "
                                       "after the cases' events (the same youths as the sync's).")],
) -> None:
    """Count each case's youth 30, 90 and 365 days after the case's first event (startkwalificatie, enrolled, or
    neither), per kind of event, chosen route and risk category, and store the counts (aggregates only: they stay
    after retention). Analysts read them on the page 'Uitkomsten en besluiten' (/ui/analyse)."""
    from casework.model import HORIZONS_DAYS
    from casework.outcomes import record_outcomes
    from serving.database import open_database
    from vsv_model.settings import Settings

    dataset, problem = read_checked(data)
    if problem is not None:
        fail(problem)
    try:
        counts = record_outcomes(open_database(Settings.from_env().database_url), dataset)
    except ValueError as exc:
        fail(str(exc))
    typer.echo(f"Outcomes with the data up to {dataset.end_date()}:")
    for horizon in HORIZONS_DAYS:
        at = counts[counts["horizon_days"] == horizon].groupby("state")["youths"].sum()
        states = ", ".join(f"{state} {int(count):,}" for state, count in at.items()) or "no case has reached it yet"
        typer.echo(f"  after {horizon:>3} days: {states}")


def advice_line(advice) -> str:
    """Which advice new cases got: the tier's, or the promoted route policy's (by estimated benefit)."""
    if advice.policy is None:
        return f"by risk group (tier; {advice.reason})"
    return f"by estimated benefit (route policy version {advice.version})"
