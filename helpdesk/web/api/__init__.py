"""The JSON API, /api/v1/…: thin views (views.py) over the domain; its problems, bodies and
OpenAPI document."""
