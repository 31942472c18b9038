"""The domains, the only writers of state; the modules here are what every domain is handed."""
