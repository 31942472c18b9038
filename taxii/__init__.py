"""The TAXII 2.1 client towards peers' servers (taxii2-client): push, poll, probe."""
