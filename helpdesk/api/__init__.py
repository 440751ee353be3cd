"""The JSON API's domain side: bearer tokens, browser hand-offs, representations, problems, OpenAPI."""
