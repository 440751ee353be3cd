"""Articles: Markdown files with front matter, rendered once to sanitized HTML."""
