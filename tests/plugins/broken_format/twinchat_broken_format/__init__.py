"""A plugin package that defines no ``CSV``, though its entry point names it."""
