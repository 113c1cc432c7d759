"""The synthetic Zuid-Holland Zuid region: a forward, month-by-month simulation with hidden causes, dated
calendar effects and its real size, and an exact known truth (see `data_synthetic.generate`): on every yearly
reference date for every youth in scope (truth.csv, `truth_table.py`) and at every office event the written data
holds (truth_events.csv, `truth_events.py`: the state on the 1st of the event's month)."""
