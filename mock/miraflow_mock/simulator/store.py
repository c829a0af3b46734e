"""Persistence for `--state FILE.sqlite`: tenants, credits, jobs, uploads and the manual clock survive a restart.

Writes go through as they happen (a create, a credit change, an upload); reads happen once, at start. Job states are
not stored: they follow from each job's plan and the clock.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

__all__ = ["MemoryStore", "SqliteStore", "Store"]


class Store:
    """Where the simulator's state is kept between runs. The base class keeps nothing (the default: in memory)."""

    def load(self) -> dict[str, Any]:
        """Everything saved: `tenants` (key → {name, credits}), `jobs`, `uploads` (records), `meta` (name → value)."""
        return {"tenants": {}, "jobs": [], "uploads": [], "meta": {}}

    def save_tenant(self, key: str, name: str, credits: int) -> None:
        """Record a tenant and its balance."""

    def save_job(self, record: dict[str, Any]) -> None:
        """Record a job's plan."""

    def save_upload(self, record: dict[str, Any]) -> None:
        """Record an upload's metadata (its bytes live in the files folder)."""

    def save_meta(self, name: str, value: Any) -> None:
        """Record one setting (the manual clock's time, the URL-signing secret)."""

    def clear(self) -> None:
        """Forget everything (admin reset)."""

    def close(self) -> None:
        """Release the store."""


class MemoryStore(Store):
    """Nothing persists: the default."""


class SqliteStore(Store):
    """State in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)  # autocommit: each write is durable at once
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS tenants (key TEXT PRIMARY KEY, name TEXT NOT NULL, credits INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, record TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS uploads (id TEXT PRIMARY KEY, record TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
            """
        )

    def load(self) -> dict[str, Any]:
        """Everything saved."""
        return {
            "tenants": {
                key: {"name": name, "credits": credits}
                for key, name, credits in self._db.execute("SELECT key, name, credits FROM tenants")
            },
            "jobs": [json.loads(row[0]) for row in self._db.execute("SELECT record FROM jobs ORDER BY seq")],
            "uploads": [json.loads(row[0]) for row in self._db.execute("SELECT record FROM uploads")],
            "meta": {name: json.loads(value) for name, value in self._db.execute("SELECT name, value FROM meta")},
        }

    def save_tenant(self, key: str, name: str, credits: int) -> None:
        """Record a tenant and its balance."""
        self._db.execute("INSERT OR REPLACE INTO tenants VALUES (?, ?, ?)", (key, name, credits))

    def save_job(self, record: dict[str, Any]) -> None:
        """Record a job's plan."""
        self._db.execute(
            "INSERT OR REPLACE INTO jobs VALUES (?, COALESCE((SELECT seq FROM jobs WHERE id = ?),"
            " (SELECT COUNT(*) FROM jobs)), ?)",
            (record["id"], record["id"], json.dumps(record)),
        )

    def save_upload(self, record: dict[str, Any]) -> None:
        """Record an upload's metadata."""
        self._db.execute("INSERT OR REPLACE INTO uploads VALUES (?, ?)", (record["id"], json.dumps(record)))

    def save_meta(self, name: str, value: Any) -> None:
        """Record one setting."""
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, json.dumps(value)))

    def clear(self) -> None:
        """Forget everything."""
        self._db.executescript("DELETE FROM tenants; DELETE FROM jobs; DELETE FROM uploads; DELETE FROM meta;")

    def close(self) -> None:
        """Close the database."""
        self._db.close()
