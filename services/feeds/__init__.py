"""TAXII collections and partners as the domain sees them, served as typed records."""
