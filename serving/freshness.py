"""How old the list is and who has left the target group since it was scored, said on the day it is read.

The list is scored at a reference date (peildatum) and read for weeks after it. "Today" is the page
context's (`Settings.current_date`, VSV_TODAY in tests), never the clock read here.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from vsv_model.target_group import TargetGroup
from vsv_model.wording import dutch_date as date_nl

LEFT_BECAUSE_NL = {
    "max_age": "{group.max_age} jaar geworden",
    "startkwalificatie": "heeft een diploma van mbo-niveau 2 of hoger, havo of vwo gehaald",
}


def dutch_date(day: dt.date | str) -> str:
    """1 oktober 2026, from a date or an ISO string (the scores file keeps dates as text)."""
    return date_nl(dt.date.fromisoformat(str(day)[:10]) if not isinstance(day, dt.date) else day)


def days_ago_nl(as_of: dt.date | str, today: dt.date) -> str:
    """How long ago the reference date was: 'vandaag', '1 dag geleden', '66 dagen geleden'."""
    days = (today - dt.date.fromisoformat(str(as_of)[:10])).days
    if days == 0:
        return "vandaag"
    if days < 0:
        return f"over {-days} {'dag' if days == -1 else 'dagen'}"
    return f"{days} {'dag' if days == 1 else 'dagen'} geleden"


def left_group_nl(leaves_on, reason, today: dt.date, group: TargetGroup) -> str | None:
    """'Valt sinds 12 november 2026 buiten de doelgroep: 23 jaar geworden.' once that day has come; else None
    (also for a scores file from before `leaves_group_on`)."""
    if not isinstance(leaves_on, str) or not leaves_on or dt.date.fromisoformat(leaves_on) > today:
        return None
    because = LEFT_BECAUSE_NL.get(str(reason), LEFT_BECAUSE_NL["max_age"]).format(group=group)
    return f"Valt sinds {dutch_date(leaves_on)} buiten de doelgroep: {because}."


def left_group_sentences(rows: pd.DataFrame, today: dt.date, group: TargetGroup) -> pd.Series:
    """Per row the left-the-group sentence, or '' (a comparison over the rows; sentences only for those who left)."""
    sentences = pd.Series("", index=rows.index, dtype=object)
    if "leaves_group_on" not in rows:
        return sentences
    left = pd.to_datetime(rows["leaves_group_on"], errors="coerce") <= pd.Timestamp(today)
    reasons = rows["leaves_group_reason"] if "leaves_group_reason" in rows else pd.Series("max_age", index=rows.index)
    sentences[left] = [left_group_nl(str(on), reason, today, group)
                       for on, reason in zip(rows.loc[left, "leaves_group_on"], reasons[left], strict=True)]
    return sentences
