"""Blueprints: the pages and the API."""
