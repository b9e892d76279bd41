"""The delivery layer: the outbox's drain (loop: claim, send and settle each post exactly once), whether the config
in force still sends a queued post (gate), a backlog's pacing (pacing), and posts that wait for credentials
(awaiting)."""
