"""Diagnoses a person walks through, their reference codes and transcripts."""
