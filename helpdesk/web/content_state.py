"""Where the app keeps its current content snapshot, and how views reach it."""

from __future__ import annotations

from flask import Flask, current_app

from ..actions import action_names
from ..catalog import Catalog, load_catalog
from ..config import Settings
from ..problems import ContentError

KEY = "helpdesk.catalog"


def settings() -> Settings:
    return current_app.extensions["helpdesk.settings"]


def catalog() -> Catalog:
    return current_app.extensions[KEY]


def load_into(app: Flask) -> Catalog:
    """Load the content; refuse to start on broken content, listing every problem."""
    settings: Settings = app.extensions["helpdesk.settings"]
    loaded = load_catalog(settings.content_dir, settings.flows_dir, action_names())
    if loaded.problems:
        raise ContentError(list(loaded.problems))
    app.extensions[KEY] = loaded
    return loaded
