"""TAXII 2.1: the server partners poll, what it needs to read and write TAXII values, and our client towards peers."""
