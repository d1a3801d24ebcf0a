"""A plugin that cannot load: twinchat must name it in one line and stop, without a traceback."""
