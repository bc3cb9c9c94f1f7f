"""The results store (SQLite, WAL): one row per variant run, keyed by a content hash."""
