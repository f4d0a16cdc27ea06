"""Database models and migrations (tickets, calls, events)."""
