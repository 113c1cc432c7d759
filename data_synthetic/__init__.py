"""Synthetic Zuid-Holland Zuid population with known truth."""
