"""The generation engine: slot values, rendering, single-unit samples and multi-turn sessions."""
