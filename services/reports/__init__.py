"""Incident reports people read: a ticket's whole story (or what a recipient may see of it) as a document."""
