"""Monitoring with delayed labels: drift against the model's reference profile, performance estimated from the
calibrated probabilities, and realised performance once outcomes arrive (`vsv monitor`)."""
