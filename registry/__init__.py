"""The model registry (MLflow): the tracking store, logged and registered model versions, and their aliases.

Used by training (to register a version) and by serving and batch scoring (to find and load the champion);
it imports neither of them.
"""
