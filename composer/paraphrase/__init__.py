"""Paraphrasing unit templates with an OpenAI-compatible model, with checks on every candidate."""
