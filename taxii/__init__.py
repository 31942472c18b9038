"""TAXII 2.1: the server partners poll, and what it needs to read and write TAXII values."""
