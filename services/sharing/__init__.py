"""Sharing a ticket with peers: preview who receives what under its TLP, then send."""
