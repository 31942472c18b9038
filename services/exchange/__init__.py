"""Tickets as STIX 2.1 bundles: export, import from any producer, the stored object versions."""
