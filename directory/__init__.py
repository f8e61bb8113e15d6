"""The partner directory: data model, reference data, storage, import/export, search."""
