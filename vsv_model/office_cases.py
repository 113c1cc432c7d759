"""The office's recorded cases (`office_cases.csv`): one row per office event the office reacted to."""

OFFICE_CASE_COLUMNS = ("youth_id", "event_date", "kind", "report_id", "score", "risk_category", "advised_route", "route",
                       "randomised", "draw_propensity", "refused", "refusal_reason", "policy", "medium_cutoff",
                       "high_cutoff")
