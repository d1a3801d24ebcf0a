"""Export: stored sessions (or samples) to the files trainers load, with splits and a dataset card."""
