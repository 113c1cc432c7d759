"""Point-in-time feature and label builders for the whole population (and for one youth)."""
