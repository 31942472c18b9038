"""The TAXII 2.1 server partner teams poll: a view per resource, the shared steps as dependencies."""
