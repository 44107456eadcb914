"""Runs: history, detail, stats (read models fed by the projector) and run commands (trigger, cancel)."""
