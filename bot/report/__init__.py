"""What a person (or a script) reads: dry-run posts, the queue, status, history, progress counters."""
