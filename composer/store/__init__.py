"""The session store: sessions with their verdicts, curation, batches of compose/verify runs, edits."""
