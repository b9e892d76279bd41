"""One pass of the bot's main job as `bot run --once` makes it: the real one and the dry one."""
