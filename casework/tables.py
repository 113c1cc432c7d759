"""The work queue's tables, in the service's database (SQLite or PostgreSQL, any SQLAlchemy URL).

- `cases`: one row per case, its current state (status, officer, deadline, advice). It is the inbox's index; every
  change to it is made together with an append-only `case_records` row that says who, when and why.
- `case_events`: every event attached to a case, keyed by `event_key` (unique: a report delivered twice is one
  event), with the score and the advice as shown on that day.
- `case_records`: the case's history, append-only (the database refuses UPDATE); a correction is a new record that
  names the one it corrects.
- `letters`: each rendered letter (PDF and its text), with its template and template version: part of the
  treatment the youth got.
- `case_syncs`: each `vsv cases sync` run (counts only), so the next knows where to start.
- `case_outcomes`: the youths' states at fixed horizons after their events, as counts per route, risk category and
  kind of event (aggregates only, kept after retention).

Columns added after a database was created are nullable and added by `casework.store.create_schema`.
Retention deletes a youth's rows from the first four; nothing else deletes.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

cases_table = sa.Table(
    "cases", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("youth_id", sa.String(64), nullable=False, index=True),
    sa.Column("municipality", sa.String(64), nullable=True, index=True),
    sa.Column("opened_on", sa.Date, nullable=False),          # the first event's day
    sa.Column("first_kind", sa.String(16), nullable=False),   # report_first | report_repeat | new_leaver
    sa.Column("last_kind", sa.String(16), nullable=False),
    sa.Column("last_event_on", sa.Date, nullable=False),
    sa.Column("last_report_id", sa.String(64), nullable=True),  # the latest report's number (the inbox shows it)
    sa.Column("events", sa.Integer, nullable=False),
    sa.Column("deadline", sa.Date, nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("officer", sa.String(128), nullable=True, index=True),
    sa.Column("probability", sa.Float, nullable=False),       # the latest event's score, as shown
    sa.Column("risk_category", sa.String(8), nullable=False),
    sa.Column("tier", sa.String(8), nullable=False),
    sa.Column("advised_route", sa.String(32), nullable=False),  # the server's advice; nothing a browser sends changes it
    sa.Column("advice_why", sa.Text, nullable=False),           # one sentence (escalation, capacity)
    sa.Column("escalation", sa.Integer, nullable=False),        # steps above the model's route for repeats
    sa.Column("model_version", sa.String(32), nullable=False),
    sa.Column("model_fingerprint", sa.String(64), nullable=False),
    sa.Column("chosen_route", sa.String(32), nullable=True),
    sa.Column("decided_on", sa.Date, nullable=True),            # the day of the decision in force (the week's places)
    sa.Column("follow_up_on", sa.Date, nullable=True),
    sa.Column("outcome", sa.String(24), nullable=True),
    sa.Column("closed_on", sa.Date, nullable=True),
    sa.Column("leaves_group_on", sa.Date, nullable=True),       # the max-age birthday: retention counts from it
    # The randomised share (`casework.draws`): a drawn case's advice is the route drawn by lot; the advice of the
    # policy in force for its opening event is kept beside it (`model_advised_route`), and a refusal falls back to it.
    sa.Column("policy", sa.String(16), nullable=True),          # the advice in force: tier | benefit (null: tier)
    sa.Column("randomised", sa.Boolean, nullable=True),         # true: the advice was drawn by lot
    sa.Column("draw_propensity", sa.Float, nullable=True),      # the drawn route's chance (1 / routes with places)
    sa.Column("model_advised_route", sa.String(32), nullable=True),  # the policy's own advice at the opening event
    sa.Column("draw_refused", sa.Boolean, nullable=True),       # folded from a "refusal" record
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_cases_queue", "deadline", "probability"),      # the inbox's order
)

case_events_table = sa.Table(
    "case_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("event_key", sa.String(96), nullable=False, unique=True),  # "report:<report_id>" | "leaver:<youth>:<day>"
    sa.Column("youth_id", sa.String(64), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("event_date", sa.Date, nullable=False),
    sa.Column("report_id", sa.String(64), nullable=True, index=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("probability", sa.Float, nullable=False),
    sa.Column("risk_category", sa.String(8), nullable=False),
    sa.Column("tier", sa.String(8), nullable=False),
    sa.Column("advised_route", sa.String(32), nullable=False),
    sa.Column("reasons", sa.Text, nullable=False),              # JSON: the Dutch reasons as shown that day
    sa.Column("model_version", sa.String(32), nullable=False),
    sa.Column("model_fingerprint", sa.String(64), nullable=False),
    sa.Column("medium_cutoff", sa.Float, nullable=True),        # the kind's tier cut-offs in force that day
    sa.Column("high_cutoff", sa.Float, nullable=True),
    sa.Column("policy", sa.String(16), nullable=True),          # tier | benefit (null: tier, before it was stored)
    sa.Column("model_advised_route", sa.String(32), nullable=True),  # the policy's advice without a draw
    sa.Column("randomised", sa.Boolean, nullable=True),         # this event's route was drawn by lot
    sa.Column("draw_propensity", sa.Float, nullable=True),
)

case_records_table = sa.Table(
    "case_records", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("officer", sa.String(128), nullable=False),       # who ("systeem" for sync and escalation)
    sa.Column("action", sa.String(16), nullable=False),         # casework.model.ACTIONS
    sa.Column("status_from", sa.String(16), nullable=True),
    sa.Column("status_to", sa.String(16), nullable=True),
    sa.Column("assigned_to", sa.String(128), nullable=True),
    sa.Column("advised_route", sa.String(32), nullable=True),   # copied from the case by the server, never the form
    sa.Column("chosen_route", sa.String(32), nullable=True),
    sa.Column("other_route", sa.String(200), nullable=True),    # which other route, when "anders"
    sa.Column("follows_advice", sa.Boolean, nullable=True),
    sa.Column("follow_up_on", sa.Date, nullable=True),
    sa.Column("outcome", sa.String(24), nullable=True),
    sa.Column("why", sa.Text, nullable=True),                   # the reason for the change (free text, no BSN)
    sa.Column("note", sa.Text, nullable=True),                  # free text, no BSN
    sa.Column("corrects", sa.Integer, sa.ForeignKey("case_records.id"), nullable=True),
    sa.Column("letter_id", sa.Integer, nullable=True),
)

letters_table = sa.Table(
    "letters", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("youth_id", sa.String(64), nullable=False, index=True),
    sa.Column("template", sa.String(32), nullable=False),          # warning | invitation
    sa.Column("template_version", sa.String(16), nullable=False),
    sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("officer", sa.String(128), nullable=False),
    sa.Column("pdf", sa.LargeBinary, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
)

case_syncs_table = sa.Table(
    "case_syncs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),          # sync | post
    sa.Column("since", sa.Date, nullable=True),
    sa.Column("until", sa.Date, nullable=True),                  # the data's end: the next sync starts after it
    sa.Column("events_read", sa.Integer, nullable=False),
    sa.Column("events_new", sa.Integer, nullable=False),
    sa.Column("cases_opened", sa.Integer, nullable=False),
    sa.Column("cases_escalated", sa.Integer, nullable=False),
    sa.Column("model_version", sa.String(32), nullable=True),
)

case_outcomes_table = sa.Table(
    "case_outcomes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("data_end", sa.Date, nullable=False),
    sa.Column("horizon_days", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("route", sa.String(32), nullable=False),           # the chosen route ("none yet" when undecided)
    sa.Column("risk_category", sa.String(8), nullable=False),
    sa.Column("state", sa.String(24), nullable=False),           # casework.model.HORIZON_STATES
    sa.Column("youths", sa.Integer, nullable=False),
)

APPEND_ONLY = ("case_records",)  # UPDATE refused by the database; retention alone deletes
