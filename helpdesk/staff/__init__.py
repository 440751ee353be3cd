"""Support staff: roles, transcripts with notes, and signed links into a diagnosis."""

ROLES = ("staff", "editor", "admin")
