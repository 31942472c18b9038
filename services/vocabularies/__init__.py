"""The shared vocabularies: severity, TLP 2.0, PAP, RSIT, sectors, ISO 3166 countries."""
