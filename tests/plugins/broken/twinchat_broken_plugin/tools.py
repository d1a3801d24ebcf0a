"""A tool module whose import fails, as one does when a dependency of the plugin is missing."""

raise ImportError("the warehouse client is not installed")
