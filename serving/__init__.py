"""The BentoML risk service and batch scoring."""
