"""Mutual assistance between peer CSIRTs: the protocol table, both sides' commands, peers' messages, timers."""
