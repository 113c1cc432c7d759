"""The officers' work queue: every 18+ absence report and every new leaver becomes a case, scored as of its own day,
routed, lettered, followed up, closed with an outcome, and deleted on time.

Placed between the model and the service: it uses `vsv_model/` and `features/` (the events' definitions), and is
given a scorer (`serving.batch.score_events` with the champion) by whoever calls it, so it never imports a stage
above it. `serving/` shows the inbox and the case page and takes `POST /events`; `vsv_cli/` runs `vsv cases` and
`vsv retention`.
"""
