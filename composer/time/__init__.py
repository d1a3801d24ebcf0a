"""Colloquial Chinese time phrases: the conventions, the grammar, the phrase pool, resolving against a clock."""
