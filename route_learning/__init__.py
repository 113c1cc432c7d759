"""Route learning: which reaction (letter, conversation, matchmaker) works for whom, from the office's recorded
cases and the registrations' outcomes; the value of route policies at equal capacity; the gates a route policy
passes before the service may advise by it. Training level: imports vsv_model, features and registry only.

What serving needs (the promoted policy's dataclass and its loader) lives in `vsv_model/route_policy.py`, which
imports nothing heavy; `registry/route_policy.py` registers and downloads it."""
