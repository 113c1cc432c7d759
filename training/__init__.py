"""Training, evaluation, fairness audit and registration of the risk model."""
