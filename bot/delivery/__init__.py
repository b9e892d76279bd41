"""The delivery layer's parts beside the outbox's drain (bot.deliver): whether the config in force still sends a
queued post (gate)."""
