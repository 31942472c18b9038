"""Tickets: opening, updating, the lifecycle, observables and notes."""
