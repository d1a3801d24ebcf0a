"""Evaluation: scoring a model's predictions against an exported test split."""
