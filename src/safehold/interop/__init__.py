"""Bringing vaults in and taking them out: importers, exports and encrypted backups."""
