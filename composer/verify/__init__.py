"""Verification of samples and sessions: label types, grounding in the text, tool re-execution."""
