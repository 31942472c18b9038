"""Tickets as STIX 2.1: pure mapping (no database) between Puente's tickets and STIX objects.

- `markings`: the official TLP 2.0 marking definitions (the stix2 library ships only TLP 1.0).
- `definitions`: the OASIS Incident Core and Puente's own extensions; `extensions` registers them with stix2
  so that bad values are refused.
- `patterns`: observable -> SCO (with its deterministic id) and STIX pattern, and back.
- `mapping`: ticket -> STIX objects, and STIX objects -> ticket fields.
- `validation`: strict and fast checking of incoming objects (custom objects included); `properties`: its
  checks of single property values.
- `assistance`: mutual-assistance messages between peer CSIRTs as notes with a Puente extension.
- `timestamps`: the one codec of STIX/TAXII timestamps: parsed, written and compared as instants.
"""
