"""Flows: YAML decision trees, their validation, and the engine that runs them."""
