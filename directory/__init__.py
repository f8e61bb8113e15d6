"""The partner directory (annuaire): data model, validation, reference data, storage, change
feed, provenance, register imports and exports. Plain Python, the bottom layer
(docs/ARCHITECTURE.md)."""
