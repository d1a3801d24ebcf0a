"""A third-party twinchat plugin, as a user would write one: it registers through entry points only."""
