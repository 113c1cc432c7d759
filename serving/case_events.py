"""The work queue's events, scored by the served model: `vsv cases sync` (a data directory's events through
`serving.batch.score_events`) and `POST /events` (DUO's deliveries, one event each, through the history form).

Both give the case store (`casework.store.CaseStore.ingest`) the same rows: the event, its score, risk category,
advised route and Dutch reasons as of its own day with its kind's settings, the model, the school's municipality
and the day the youth leaves the target group (the max-age birthday: retention counts from it).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from casework.chain import INGEST_COLUMNS, event_keys
from casework.model import CaseworkRules
from casework.store import CaseStore
from features.events import Events
from features.office_events import NEW_LEAVER, EventRules, office_events
from serving.audit import AuditLog, records
from serving.batch import score_events
from serving.errors import Problem, RequestError
from serving.history import day_number, history_events, history_rows
from serving.route_advice import TIER_ADVICE, AdviceInForce, state_on_event_days
from serving.schemas import Delivery, DeliveryAnswer, History, YouthInput
from serving.scoring import ServedModel, refuse_unknown_kinds, score
from vsv_model.concepts import CONCEPTS_BY_NAME
from vsv_model.contract import ABSENCE_REPORTS, DIPLOMAS, ENROLLMENTS, LOOKS_LIKE_BSN, is_bsn, normalise_columns
from vsv_model.dates import birthday_days, date_of, to_days
from vsv_model.explanations import TOP_REASONS
from vsv_model.reader import DataSet

# --- vsv cases sync -------------------------------------------------------------------------------------------------


def max_age_birthdays(birth_dates, max_age: int) -> pd.Series:
    """The day each youth turns the group's maximum age (28 February for 29 February in common years)."""
    days = birthday_days(to_days(pd.to_datetime(pd.Series(birth_dates)).to_numpy(dtype="datetime64[s]")), max_age)
    return pd.Series(date_of(days)).astype("datetime64[s]")


def reason_sentences(frame: pd.DataFrame) -> list[list[str]]:
    """Per scored row, its reasons' Dutch sentences in order (the background concepts, age and school location,
    are shown apart and left out, as in the API's `reasons`)."""
    columns = []
    for k in range(1, TOP_REASONS + 1):
        if f"reason_{k}_sentence_nl" in frame:
            concept = frame[f"reason_{k}_concept"].astype(object)
            background = concept.map(lambda c: c in CONCEPTS_BY_NAME and CONCEPTS_BY_NAME[c].background).fillna(False)
            sentence = frame[f"reason_{k}_sentence_nl"].astype(object)
            columns.append(sentence.where(~background.astype(bool) & sentence.notna() & (sentence != ""), None))
    stacked = pd.concat(columns, axis=1).to_numpy(dtype=object) if columns else np.empty((len(frame), 0), dtype=object)
    return [[s for s in row if s is not None] for row in stacked]


def kind_cutoffs(served: ServedModel, kinds) -> pd.DataFrame:
    """Per kind of event, the tier cut-offs it was scored with (`medium_cutoff`, `high_cutoff`): the randomised
    share's borderline is judged against them (`casework.draws`)."""
    cutoffs = {kind: served.for_kind(kind).model.cutoffs for kind in pd.unique(pd.Series(kinds, dtype=object))}
    return pd.DataFrame({"medium_cutoff": {k: c.medium for k, c in cutoffs.items()},
                         "high_cutoff": {k: c.high for k, c in cutoffs.items()}})


def with_cutoffs(rows: pd.DataFrame, served: ServedModel, advice: AdviceInForce = TIER_ADVICE,
                 data: DataSet | Events | None = None) -> pd.DataFrame:
    """The rows with their kind's tier cut-offs, and the advice in force as `route` with its `policy` (the tier's
    route and `tier` unless a route policy is promoted: `serving.route_advice`, which reads the youth's state on
    each event's day from `data`)."""
    table = kind_cutoffs(served, rows["kind"])
    state = state_on_event_days(rows, data) if advice.policy is not None else None
    return advice.advised(rows.assign(medium_cutoff=rows["kind"].map(table["medium_cutoff"]).astype(float),
                                      high_cutoff=rows["kind"].map(table["high_cutoff"]).astype(float)), state)


def case_rows(scored: pd.DataFrame, birth_dates: pd.Series, max_age: int) -> pd.DataFrame:
    """`serving.batch.score_events` output (with `--explain`) as the case store's rows; `birth_dates` per row."""
    return pd.DataFrame({
        "youth_id": scored["youth_id"].astype(str), "event_date": pd.to_datetime(scored["as_of"]),
        "kind": scored["kind"].astype(str), "report_id": scored["report_id"].astype(object),
        "probability": scored["probability"].astype(float), "risk_category": scored["risk_category"].astype(str),
        "tier": scored["tier"].astype(str), "route": scored["route"].astype(str), "reasons": reason_sentences(scored),
        "model_version": scored["model_version"].astype(str), "model_fingerprint": scored["model_fingerprint"].astype(str),
        "municipality": scored["school_municipality"].astype(object),
        "leaves_group_on": max_age_birthdays(birth_dates, max_age).to_numpy(),
    })[list(INGEST_COLUMNS)]


def case_scorer(served: ServedModel, advice: AdviceInForce = TIER_ADVICE):
    """`casework.sync`'s scorer: the events as of their own days by the served model, with reasons and the advice in
    force."""
    def scored_events(data: DataSet, events: pd.DataFrame) -> pd.DataFrame:
        data = data.of_youths(events["youth_id"].unique())  # their features read their own records only
        frame = score_events(served, data, events, explain=True).frame
        births = data.youths.set_index("youth_id")["birth_date"]
        rows = case_rows(frame, births.reindex(frame["youth_id"].to_numpy()).to_numpy(), served.group.max_age)
        return with_cutoffs(rows, served, advice, data)
    return scored_events


# --- POST /events ---------------------------------------------------------------------------------------------------

NOT_YET = ("not yet an event: a deregistration becomes a new leaver when no new enrolment starts within "
           "{days} days of its end; deliver it again on or after {day}")
NO_REPORT_EVENT = ("not an office event: only absence reports (not te_laat) of youths of the target group's ages "
                   "({group}) without a startkwalificatie on the report day are")
NO_LEAVER_EVENT = ("not a new leaver: another enrolment runs on within {days} days of the end, the youth has a "
                   "startkwalificatie, or is outside the target group's ages ({group}) at the end")


def refuse_citizen_numbers(deliveries: list[Delivery]) -> None:
    """A youth_id or report number that is a valid BSN: refused (422) before anything is kept, never repeated."""
    problems = [Problem(f"deliveries[{i}].youth_id", LOOKS_LIKE_BSN, "bsn") for i, d in enumerate(deliveries)
                if is_bsn(d.youth_id)]
    problems += [Problem(f"deliveries[{i}].report.report_id", LOOKS_LIKE_BSN, "bsn") for i, d in enumerate(deliveries)
                 if d.report is not None and is_bsn(d.report.report_id)]
    problems += [Problem(f"deliveries[{i}].history.absence_reports[{j}].report_id", LOOKS_LIKE_BSN, "bsn")
                 for i, d in enumerate(deliveries) for j, r in enumerate(d.history.absence_reports)
                 if r.report_id is not None and is_bsn(r.report_id)]
    if problems:
        raise RequestError(422, problems)


def merged_history(delivery: Delivery) -> History:
    """The youth's history with the delivered record: a report replaces the one with its number, an ended
    enrolment the one with the same school, type and start."""
    history = delivery.history
    if delivery.report is not None:
        kept = [r for r in history.absence_reports if r.report_id != delivery.report.report_id]
        return history.model_copy(update={"absence_reports": [*kept, delivery.report]})
    ended = delivery.deregistration
    same = (ended.school_id, ended.education_type, ended.start_date)
    kept = [e for e in history.enrollments if (e.school_id, e.education_type, e.start_date) != same]
    return history.model_copy(update={"enrollments": [*kept, ended]})


def delivered_day(delivery: Delivery, rules: EventRules) -> dt.date:
    """The event's day: the report's, or the day a deregistration is known to be a new leaver."""
    if delivery.report is not None:
        return delivery.report.report_date
    return delivery.deregistration.end_date + dt.timedelta(days=rules.restart_days)


def check_records(deliveries: list[Delivery], histories: list[History], days: list[dt.date], served: ServedModel) -> None:
    """The contract's value rules on every delivery's records (serving.history), with the fields named: 400."""
    youths = [YouthInput(youth_id=d.youth_id, as_of=day, history=h) for d, h, day in zip(deliveries, histories, days)]
    as_of = np.array([day_number(day) for day in days], dtype=np.int64)
    matrix, problems, _, _ = history_rows(youths, list(range(len(youths))), as_of, served.group)
    if matrix is None:
        raise RequestError(400, [Problem(delivered_field(p.loc, deliveries, histories), p.msg, p.code) for p in problems])


def delivered_field(loc: str, deliveries: list[Delivery], histories: list[History]) -> str:
    """`youths[i].history...` as the request's field: the delivered record is the last of its table in the merged
    history (`deliveries[i].report...`), the others are the history's."""
    k, rest = loc[len("youths["):].split("]", 1)
    i = int(k)
    table, name = ("absence_reports", "report") if deliveries[i].report is not None else ("enrollments", "deregistration")
    last = f".history.{table}[{len(getattr(histories[i], table)) - 1}]"
    if rest.startswith(last):
        return f"deliveries[{i}].{name}{rest[len(last):]}"
    return f"deliveries[{i}]{rest}"


def deliveries_data(histories: list[History]) -> DataSet:
    """The deliveries' records as one data set, each delivery its own youth (`d0`, `d1`, ...), enum values normalised
    by the contract's rules: `office_events` judges each on its own records."""
    ids = [f"d{i}" for i in range(len(histories))]
    youths = pd.DataFrame({"youth_id": pd.array(ids, dtype="string"),
                           "birth_date": pd.to_datetime([h.birth_date for h in histories]).astype("datetime64[s]")})
    tables = {"enrollments": (ENROLLMENTS, ("start_date", "end_date")), "diplomas": (DIPLOMAS, ("diploma_date",)),
              "absence_reports": (ABSENCE_REPORTS, ("report_date",))}
    frames = {}
    for name, (schema, dates) in tables.items():
        rows = [{"youth_id": i, **r.model_dump()} for i, h in zip(ids, histories) for r in getattr(h, name)]
        frame = pd.DataFrame(rows, columns=list(schema.column_names))
        columns = normalise_columns(schema, {c: frame[c].to_numpy(dtype=object) for c in frame})
        frame = pd.DataFrame(columns, columns=list(schema.column_names))
        for column in dates:
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[s]")
        frames[name] = frame
    return DataSet(youths, frames["enrollments"], frames["diplomas"], frames["absence_reports"])


def delivered_events(deliveries: list[Delivery], histories: list[History], days: list[dt.date],
                     rules: EventRules) -> list[pd.Series | None]:
    """Per delivery its office event (youth_id, event_date, kind, report_id), or None when it makes none: the
    events of each delivery's own records on its day (a leaver judged as if its day had come)."""
    found = office_events(deliveries_data(histories), min(days), max(days), rules, data_end=max(days))
    found["delivery"] = found["youth_id"].str[1:].astype(int)
    events = []
    for i, (delivery, day) in enumerate(zip(deliveries, days)):
        mine = found[(found["delivery"] == i) & (found["event_date"].dt.date == day)]
        mine = mine[mine["kind"] == NEW_LEAVER] if delivery.report is None else \
            mine[mine["report_id"] == delivery.report.report_id]
        events.append(mine.iloc[0].drop("delivery").copy() if len(mine) else None)
        if events[-1] is not None:
            events[-1]["youth_id"] = delivery.youth_id
    return events


def not_an_event(delivery: Delivery, day: dt.date, today: dt.date, event: pd.Series | None, rules: EventRules,
                 group: str) -> DeliveryAnswer | None:
    """The answer for a delivery that makes no case now (not yet, or never); None when it is an event of today."""
    if event is not None and day <= today:
        return None
    if event is not None:
        return DeliveryAnswer(youth_id=delivery.youth_id, status="not_yet", kind=NEW_LEAVER, event_date=day,
                              message=NOT_YET.format(days=rules.restart_days, day=day))
    text = NO_REPORT_EVENT if delivery.report is not None else NO_LEAVER_EVENT
    return DeliveryAnswer(youth_id=delivery.youth_id, status="no_event", event_date=day,
                          message=text.format(days=rules.restart_days, group=group))


def scored_rows(served: ServedModel, youths: list[YouthInput], today: dt.date, positions: list[int],
                advice: AdviceInForce = TIER_ADVICE):
    """The events scored through the history form with their kinds (`/score`'s path, with reasons): the store's
    rows and the results for the audit. A problem names the delivery it is about."""
    refuse_unknown_kinds(youths, served)
    try:
        results = score(served, youths, today, explain=True)
    except RequestError as error:
        raise RequestError(error.status, [Problem(located(p.loc, positions), p.msg, p.code) for p in error.problems]) from None
    rows = pd.DataFrame({
        "youth_id": [r.youth_id for r in results], "event_date": [r.as_of for r in results],
        "kind": [r.kind for r in results], "report_id": None, "probability": [r.probability for r in results],
        "risk_category": [r.risk_category for r in results], "tier": [r.tier for r in results],
        "route": [r.route for r in results], "reasons": [[x.sentence_nl for x in r.reasons] for r in results],
        "model_version": served.version, "model_fingerprint": served.fingerprint,
        "municipality": [r.features.get("school_municipality") for r in results],
        "leaves_group_on": max_age_birthdays([y.history.birth_date for y in youths], served.group.max_age).to_numpy(),
    })
    histories = history_events(youths) if advice.policy is not None else None  # the advice reads the youth's state
    return with_cutoffs(rows, served, advice, histories), results


def located(loc: str, positions: list[int]) -> str:
    """`youths[k]...` of the scored events as `deliveries[i]...` of the request."""
    if not loc.startswith("youths["):
        return loc
    k, rest = loc[len("youths["):].split("]", 1)
    return f"deliveries[{positions[int(k)]}]{rest}"


def receive_deliveries(served: ServedModel, store: CaseStore, audit: AuditLog, rules: CaseworkRules,
                       deliveries: list[Delivery], today: dt.date, request_id: str | None,
                       key_name: str | None, advice: AdviceInForce = TIER_ADVICE) -> list[DeliveryAnswer]:
    """Each delivery's event scored as of its day and made into a case (or found known), with an audit record per
    scored event written in the same transaction as the cases: no case without a record."""
    refuse_citizen_numbers(deliveries)
    event_rules = EventRules(repeat_days=rules.repeat_days, min_age=served.group.min_age, max_age=served.group.max_age)
    refuse_later_records(deliveries, today)
    histories = [merged_history(d) for d in deliveries]
    days = [delivered_day(d, event_rules) for d in deliveries]
    check_records(deliveries, histories, days, served)
    events = delivered_events(deliveries, histories, days, event_rules)
    answers = [not_an_event(d, day, today, e, event_rules, served.group.describe())
               for d, day, e in zip(deliveries, days, events)]
    pending = [i for i, answer in enumerate(answers) if answer is None]
    if pending:
        office = pd.DataFrame([events[i] for i in pending]).reset_index(drop=True)
        outcomes = event_outcomes(served, store, audit, rules, office, [(deliveries[i], histories[i]) for i in pending],
                                  today, (request_id, key_name), pending, advice)
        for k, i in enumerate(pending):
            answers[i] = case_answer(deliveries[i].youth_id, days[i], outcomes[k])
    return answers


def event_outcomes(served: ServedModel, store: CaseStore, audit: AuditLog, rules: CaseworkRules, office: pd.DataFrame,
                   delivered: list[tuple[Delivery, History]], today: dt.date, caller: tuple, positions: list[int],
                   advice: AdviceInForce = TIER_ADVICE) -> list:
    """Per event its case's outcome: stored before (known, not scored again), or scored now and ingested with the
    scores' audit records in the same transaction."""
    keys = event_keys(office["youth_id"], office["event_date"], office["kind"], office["report_id"])
    known = store.known_events(keys.unique()).set_index("event_key")
    outcomes = [known.loc[key] if key in known.index else None for key in keys]
    to_score = [k for k, outcome in enumerate(outcomes) if outcome is None]
    if not to_score:
        return outcomes
    youths = [YouthInput(youth_id=delivered[k][0].youth_id, as_of=office["event_date"][k].date(), kind=office["kind"][k],
                         history=delivered[k][1]) for k in to_score]
    rows, results = scored_rows(served, youths, today, [positions[k] for k in to_score], advice)
    rows["report_id"] = office["report_id"].iloc[to_score].to_numpy()
    audit_rows = records("event", results, *caller, [delivered[k][0].model_dump_json() for k in to_score])
    ingested = store.ingest(rows, rules, "post", alongside=lambda connection: audit.append(audit_rows, connection))
    for j, k in enumerate(to_score):
        outcomes[k] = ingested.outcomes.iloc[j]
    return outcomes


def refuse_later_records(deliveries: list[Delivery], today: dt.date) -> None:
    """A delivered report or end dated after today is not something that has happened: 400, naming the field."""
    problems = [Problem(f"deliveries[{i}].report.report_date", f"lies after today ({today})", "after_today")
                for i, d in enumerate(deliveries) if d.report is not None and d.report.report_date > today]
    problems += [Problem(f"deliveries[{i}].deregistration.end_date", f"lies after today ({today})", "after_today")
                 for i, d in enumerate(deliveries) if d.deregistration is not None and d.deregistration.end_date > today]
    if problems:
        raise RequestError(400, problems)


def case_answer(youth_id: str, day: dt.date, outcome: pd.Series) -> DeliveryAnswer:
    deadline = outcome["deadline"]
    return DeliveryAnswer(youth_id=youth_id, status=outcome["status"], case_id=int(outcome["case_id"]),
                          kind=outcome["kind"], event_date=day, advised_route=outcome["advised_route"],
                          deadline=None if deadline is None or pd.isna(deadline) else pd.Timestamp(deadline).date())
