"""The synthetic Zuid-Holland Zuid region: a forward, month-by-month simulation with hidden causes, dated
calendar effects and its real size, and an exact known truth (see `data_synthetic.generate`)."""
