"""The campaign's ledger: one SQLite record per row, in the campaign folder, that makes a campaign resumable.

A row moves through these states (`RowState`), each move one committed transaction:

```
pending ──▶ creating ──▶ created ──▶ complete ──▶ downloaded
   ▲            │  │ │  (jobId)  │   (videoId)      │ (file, sha256)
   │            │  │ └───────────┼──▶ failed ◀──────┘ never: a downloaded file that went missing is `complete` again
   └────────────┘  └──▶ ambiguous / complete (found by name)
```

- `creating` is the intent to create, committed *before* the request is sent; `created` records the jobId the moment
  the answer arrives. A row found in `creating` by a later run may or may not have a job: it is reconciled by name.
- `failed` keeps the job's failure state and message. A create the API refused (4xx: nothing was made, no credits
  spent) is `failed` with `retryable` set and goes back to `pending` on the next run.
- `ambiguous` means no video with the row's name appeared in time: it is created again only on request.
- A row whose *job* failed (a lifecycle failure state: `inference_failed`, `inference_error`) is created again only on
  request (`--retry-failed`): `mark_retry` moves it back to `pending` with the next attempt number (so the next create
  carries a new name tag, `-{attempt}`), and records the failed attempt in `history`, in the same transaction. The
  bound (`max_attempts`) is checked inside that transaction: a row never gets more attempts than it allows.
- `skipped` is a row that was invalid when the campaign ran with `--skip-invalid`; fixed, it becomes `pending`.

The database runs in WAL mode with `synchronous=FULL`: a committed transition survives a crash of the process (or of
the machine), and a reader (`miraflow batch status`) never blocks the run. Every transition is one write transaction
(`BEGIN IMMEDIATE`: the row's state read, then its UPDATE, under the write lock) that checks the row is in a state
it may leave that way; a bug trying another move raises `LedgerError`.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any

import attrs

from miraflow.batch.errors import LedgerConflictError
from miraflow.batch.naming import api_name, new_campaign_id, video_token
from miraflow.batch.rows import Row, RowError
from miraflow.spec import lifecycle

__all__ = ["LEDGER_NAME", "TRANSITIONS", "Ledger", "LedgerError", "LedgerRow", "RowState", "retryable_failure"]

LEDGER_NAME = "campaign.sqlite"
_SCHEMA_VERSION = "2"
"""2 added `history` (the failed attempts before the current one); a version 1 ledger is migrated on open."""


class RowState(StrEnum):
    """Where a row of a campaign stands."""

    PENDING = "pending"
    CREATING = "creating"
    CREATED = "created"
    COMPLETE = "complete"
    DOWNLOADED = "downloaded"
    FAILED = "failed"
    AMBIGUOUS = "ambiguous"
    SKIPPED = "skipped"


TRANSITIONS: Mapping[RowState, frozenset[RowState]] = {
    RowState.PENDING: frozenset({RowState.CREATING, RowState.SKIPPED}),
    RowState.CREATING: frozenset(
        {RowState.CREATED, RowState.PENDING, RowState.FAILED, RowState.COMPLETE, RowState.AMBIGUOUS}
    ),
    RowState.CREATED: frozenset({RowState.COMPLETE, RowState.FAILED}),
    RowState.COMPLETE: frozenset({RowState.DOWNLOADED, RowState.FAILED}),
    RowState.DOWNLOADED: frozenset({RowState.COMPLETE}),
    RowState.FAILED: frozenset({RowState.PENDING}),  # a refused create (retryable), or a failed job retried
    RowState.AMBIGUOUS: frozenset({RowState.COMPLETE, RowState.PENDING}),
    RowState.SKIPPED: frozenset({RowState.PENDING}),
}
"""Every allowed move: state → the states it may go to."""

_COLUMNS = """
    key INTEGER PRIMARY KEY,
    line INTEGER NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    avatar_id TEXT NOT NULL DEFAULT '',
    avatar_name TEXT NOT NULL DEFAULT '',
    is_photo INTEGER NOT NULL DEFAULT 1,
    full_background INTEGER,
    voice_id TEXT,
    mode TEXT NOT NULL DEFAULT '',
    file TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 1,
    api_name TEXT,
    intent_seq INTEGER,
    intent_at REAL,
    job_id TEXT,
    video_id TEXT,
    sha256 TEXT,
    size INTEGER,
    failure TEXT,
    retryable INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    history TEXT NOT NULL DEFAULT '[]',
    updated_at REAL NOT NULL
"""


class LedgerError(RuntimeError):
    """A transition the ledger does not allow (a bug), or a ledger this version cannot read."""


@attrs.frozen
class LedgerRow:
    """One row of the ledger.

    `intent_seq` orders the creates (the service queues jobs in that order); `intent_at` is when the intent was
    committed (seconds since the epoch). `failure` is a failed job's terminal state (or `refused` for a create the
    API turned down); `error` says why a row failed, is ambiguous or was skipped. `attempt` is the row's current
    attempt (1, then 2... after `mark_retry` or `mark_recreate`); `history` the failed attempts before it, oldest first,
    each `{"attempt", "jobId", "failure", "error"}`.
    """

    key: int
    line: int
    name: str
    text: str
    avatar_id: str
    avatar_name: str
    is_photo: bool
    full_background: bool | None
    voice_id: str | None
    mode: str
    file: str
    state: RowState
    attempt: int
    api_name: str | None
    intent_seq: int | None
    intent_at: float | None
    job_id: str | None
    video_id: str | None
    sha256: str | None
    size: int | None
    failure: str | None
    retryable: bool
    error: str | None
    history: tuple[Mapping[str, Any], ...]
    updated_at: float

    @classmethod
    def _from_sql(cls, record: sqlite3.Row) -> LedgerRow:
        values = dict(record)
        values["state"] = RowState(values["state"])
        values["is_photo"] = bool(values["is_photo"])
        values["retryable"] = bool(values["retryable"])
        values["history"] = tuple(json.loads(values["history"] or "[]"))
        if values["full_background"] is not None:
            values["full_background"] = bool(values["full_background"])
        return cls(**values)


class Ledger(contextlib.AbstractContextManager["Ledger"]):
    """The SQLite ledger of the campaign in `folder` (`folder/campaign.sqlite`). Not thread-safe: one event loop.

    ```python
    with Ledger.open(out) as ledger:
        print(ledger.counts())
    ```
    """

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self.campaign_id = self._meta("campaign_id")
        (last,) = connection.execute("SELECT COALESCE(MAX(intent_seq), 0) FROM rows").fetchone()
        self._next_seq = int(last) + 1  # one process writes a campaign (the run holds the folder's lock)
        self._counts = self._count()

    @classmethod
    def open(cls, folder: str | Path, *, create: bool = True) -> Ledger:
        """Open the ledger in `folder`, creating the folder and a new campaign if `create` and there is none.

        Raises `FileNotFoundError` if there is no ledger and `create` is false.
        """
        folder = Path(folder)
        path = folder / LEDGER_NAME
        if not path.exists():
            if not create:
                raise FileNotFoundError(f"no campaign in {str(folder)!r} (no {LEDGER_NAME}): run `batch run` first")
            folder.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        with _transaction(connection):
            connection.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            fresh = connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'rows'").fetchone() is None
            connection.execute(f"CREATE TABLE IF NOT EXISTS rows ({_COLUMNS})")
            if fresh:
                connection.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)", (_SCHEMA_VERSION,))
            _migrate(connection)
            connection.execute("CREATE INDEX IF NOT EXISTS rows_by_state ON rows (state)")
            defaults = {"campaign_id": new_campaign_id(), "created_at": repr(time.time())}
            for key, value in defaults.items():
                connection.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value))
        version = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0]
        if version != _SCHEMA_VERSION:
            connection.close()
            raise LedgerError(f"{path} has ledger schema {version}; this version of miraflow reads {_SCHEMA_VERSION}")
        return cls(connection, path)

    def close(self) -> None:
        """Close the database (a last checkpoint folds the write-ahead log into it)."""
        self._db.close()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- campaign facts --------------------------------------------------------------------------------------------

    def _meta(self, key: str) -> str:
        record = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if record is None:
            raise LedgerError(f"{self.path}: no {key} in the ledger")
        return str(record[0])

    def meta(self, key: str) -> str | None:
        """A fact about the campaign (`campaign_id`, `created_at`, `base_url`, `source`), or None."""
        record = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if record is None else str(record[0])

    def bind(self, *, base_url: str, source: str) -> None:
        """Record the API root and file the campaign runs with; refuse an API root other than the first one.

        Another API root means another service or account: its jobs and videos are not this campaign's.
        """
        known = self.meta("base_url")
        if known is not None and known != base_url:
            raise LedgerConflictError(
                f"the campaign in {str(self.path.parent)!r} ran against {known}, not {base_url}: its jobs live there "
                "(use that base URL, or another --out folder for a new campaign)"
            )
        with _transaction(self._db):
            self._db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('base_url', ?)", (base_url,))
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('source', ?)", (source,))

    # --- rows from the file ----------------------------------------------------------------------------------------

    def sync(self, rows: Sequence[Row], invalid: Sequence[RowError]) -> None:
        """Bring the ledger in line with the campaign file: new rows become `pending`, invalid ones `skipped`.

        A row not sent yet (pending, skipped, or refused) takes the file's current values. A row already sent must
        be unchanged: otherwise `LedgerConflictError` lists every such row and nothing is written. Unsent rows the
        file no longer has are dropped.
        """
        existing = {row.key: row for row in self.rows()}
        conflicts: list[str] = []
        errors_by_key: dict[int, list[RowError]] = {}
        for error in invalid:
            errors_by_key.setdefault(error.key, []).append(error)
        for row in rows:
            old = existing.get(row.key)
            if old is not None and not _unsent(old) and _identity(old) != _row_identity(row):
                conflicts.append(
                    f"line {row.line}: row {row.key} ({old.name!r}) is {old.state} but differs from the file now"
                )
        for key, errors in errors_by_key.items():
            old = existing.get(key)
            if old is not None and not _unsent(old):
                conflicts.append(f"line {errors[0].line}: row {key} ({old.name!r}) is {old.state} but invalid now")
        file_keys = {row.key for row in rows} | set(errors_by_key)
        for key, old in existing.items():
            if key not in file_keys and not _unsent(old):
                conflicts.append(f"row {key} ({old.name!r}) is {old.state} but the file no longer has it")
        if conflicts:
            raise LedgerConflictError(
                f"the file does not match the campaign in {str(self.path.parent)!r}: "
                + "; ".join(conflicts[:10])
                + (f"; and {len(conflicts) - 10} more" if len(conflicts) > 10 else "")
                + " (restore the file, or use another --out folder for a new campaign)"
            )
        now = time.time()
        with _transaction(self._db):
            for key in existing:
                if key not in file_keys:
                    self._db.execute("DELETE FROM rows WHERE key = ?", (key,))
            for row in rows:
                old = existing.get(row.key)
                values = _row_values(row)
                if old is None:
                    self._insert(row.key, row.line, RowState.PENDING, values, now)
                elif _unsent(old) and (old.state != RowState.FAILED or _identity(old) != _row_identity(row)):
                    self._update_unsent(row.key, row.line, values, now)
                elif old.line != row.line:
                    self._db.execute("UPDATE rows SET line = ? WHERE key = ?", (row.line, row.key))
            for key, errors in errors_by_key.items():
                message = "; ".join(error.message for error in errors)
                values = {"name": errors[0].name}
                if key in existing:
                    self._db.execute(
                        "UPDATE rows SET line = ?, name = ?, state = ?, error = ?, failure = NULL, retryable = 0, "
                        "updated_at = ? WHERE key = ?",
                        (errors[0].line, errors[0].name, RowState.SKIPPED.value, message, now, key),
                    )
                else:
                    self._insert(key, errors[0].line, RowState.SKIPPED, values, now, error=message)
        self._counts = self._count()

    def _insert(
        self, key: int, line: int, state: RowState, values: Mapping[str, Any], now: float, *, error: str | None = None
    ) -> None:
        columns = ["key", "line", "state", "error", "updated_at", *values]
        params = [key, line, state.value, error, now, *values.values()]
        marks = ", ".join("?" for _ in columns)
        self._db.execute(f"INSERT INTO rows ({', '.join(columns)}) VALUES ({marks})", params)

    def _update_unsent(self, key: int, line: int, values: Mapping[str, Any], now: float) -> None:
        assignments = ", ".join(f"{column} = ?" for column in values)
        self._db.execute(
            f"UPDATE rows SET line = ?, {assignments}, state = ?, error = NULL, failure = NULL, retryable = 0, "
            "updated_at = ? WHERE key = ?",
            (line, *values.values(), RowState.PENDING.value, now, key),
        )

    # --- reading ---------------------------------------------------------------------------------------------------

    def get(self, key: int) -> LedgerRow:
        """The row `key`. Raises `KeyError` if the ledger has no such row."""
        record = self._db.execute("SELECT * FROM rows WHERE key = ?", (key,)).fetchone()
        if record is None:
            raise KeyError(key)
        return LedgerRow._from_sql(record)

    def rows(self, *states: RowState) -> Iterator[LedgerRow]:
        """Every row (or those in `states`), by key. Streams: a large campaign is not loaded at once."""
        if states:
            marks = ", ".join("?" for _ in states)
            cursor = self._db.execute(
                f"SELECT * FROM rows WHERE state IN ({marks}) ORDER BY key", [state.value for state in states]
            )
        else:
            cursor = self._db.execute("SELECT * FROM rows ORDER BY key")
        for record in cursor:
            yield LedgerRow._from_sql(record)

    def counts(self) -> dict[RowState, int]:
        """How many rows are in each state (every state listed, zeros included). Kept as rows move: cheap."""
        return dict(self._counts)

    def _count(self) -> dict[RowState, int]:
        counts = dict.fromkeys(RowState, 0)
        for state, count in self._db.execute("SELECT state, COUNT(*) FROM rows GROUP BY state"):
            counts[RowState(state)] = int(count)
        return counts

    # --- transitions -----------------------------------------------------------------------------------------------

    def mark_creating(self, key: int, *, intent_at: float | None = None) -> LedgerRow:
        """Commit the intent to create row `key` (before its request is sent); return the row with its API name."""
        row = self.get(key)
        name = api_name(row.name, video_token(self.campaign_id, key, row.attempt))
        self._move(
            key,
            RowState.CREATING,
            api_name=name,
            intent_seq=self._next_seq,
            intent_at=time.time() if intent_at is None else intent_at,
            error=None,
            failure=None,
            retryable=0,
        )
        self._next_seq += 1
        return self.get(key)

    def mark_created(self, key: int, job_id: str) -> None:
        """Record the jobId the create answered (the moment it arrives)."""
        self._move(key, RowState.CREATED, job_id=job_id)

    def mark_pending(self, key: int, *, note: str | None = None) -> None:
        """Back to `pending` from `creating` (the create surely made nothing: a 429, no connection) or `failed`.

        From `failed`, only for a refused create (`reset_refused`).
        """
        self._move(
            key, RowState.PENDING, sources=(RowState.CREATING, RowState.FAILED), error=note, failure=None, retryable=0
        )

    def mark_refused(self, key: int, message: str) -> None:
        """`failed`, retryable: the API refused the create (nothing made, no credits spent)."""
        self._move(key, RowState.FAILED, failure="refused", error=message, retryable=1)

    def mark_failed(self, key: int, failure: str, message: str) -> None:
        """`failed` for good: the job ended in `failure` (a lifecycle failure state), or the row cannot go on."""
        self._move(key, RowState.FAILED, failure=failure, error=message, retryable=0)

    def mark_complete(self, key: int, video_id: str) -> None:
        """Record the finished video's id (from the job's status, or found by name)."""
        self._move(key, RowState.COMPLETE, video_id=video_id, error=None)

    def mark_downloaded(self, key: int, *, file: str, sha256: str, size: int) -> None:
        """Record the downloaded file (its name in the folder), its SHA-256 and size."""
        self._move(key, RowState.DOWNLOADED, file=file, sha256=sha256, size=size)

    def mark_redownload(self, key: int, reason: str) -> None:
        """A downloaded row whose file is missing or changed: `complete` again, to fetch it anew."""
        self._move(key, RowState.COMPLETE, sha256=None, size=None, error=reason)

    def mark_ambiguous(self, key: int, message: str) -> None:
        """No video with the row's name appeared in time: its create may or may not have made one."""
        self._move(key, RowState.AMBIGUOUS, error=message)

    def mark_recreate(self, key: int) -> None:
        """Create an ambiguous row again (`--recreate-ambiguous`): `pending`, with a new attempt and so a new name."""
        row = self.get(key)
        self._move(
            key, RowState.PENDING, sources=(RowState.AMBIGUOUS,), attempt=row.attempt + 1, error=None, api_name=None
        )

    def mark_retry(self, key: int, *, max_attempts: int) -> bool:
        """Create a row whose job failed again: `pending`, with the next attempt (so a new name tag). Return whether.

        Only a row whose job ended in a lifecycle failure state (`inference_failed`, `inference_error`) is retried,
        and only while its attempts stay within `max_attempts`; the failed attempt (its jobId, state and message) is
        kept in `history`. The check and the move are one transaction: a crash leaves the row failed or retried,
        never half-way, and a retried row is created once (its intent is committed before the create, as for any
        pending row).
        """
        row = self.get(key)
        if not retryable_failure(row) or row.attempt >= max_attempts:
            return False
        failed = {"attempt": row.attempt, "jobId": row.job_id, "failure": row.failure, "error": row.error}
        earlier = [*row.history, failed]
        self._move(
            key,
            RowState.PENDING,
            sources=(RowState.FAILED,),
            expect={"attempt": row.attempt, "failure": row.failure},
            attempt=row.attempt + 1,
            history=json.dumps(earlier),
            api_name=None,
            job_id=None,
            video_id=None,
            failure=None,
            error=None,
            retryable=0,
        )
        return True

    def retry_failed(self, *, max_attempts: int) -> list[int]:
        """`mark_retry` every row whose job failed and that has attempts left; return their keys."""
        keys = [row.key for row in self.rows(RowState.FAILED) if retryable_failure(row) and row.attempt < max_attempts]
        return [key for key in keys if self.mark_retry(key, max_attempts=max_attempts)]

    def set_meta(self, key: str, value: str) -> None:
        """Record a fact about the campaign (such as `max_attempts`)."""
        with _transaction(self._db):
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def reset_refused(self) -> list[int]:
        """Put every refused create back to `pending` (nothing was made for them); return their keys."""
        keys = [row.key for row in self.rows(RowState.FAILED) if row.retryable]
        for key in keys:
            self.mark_pending(key)
        return keys

    def _move(
        self,
        key: int,
        to: RowState,
        *,
        sources: Sequence[RowState] = (),
        expect: Mapping[str, object] | None = None,
        **columns: Any,
    ) -> None:
        """One transition: the row's state read and its UPDATE in one write transaction (`BEGIN IMMEDIATE`).

        `expect` are column values the row must still have under the write lock (a retry checks its attempt).
        """
        with _transaction(self._db):
            record = self._db.execute("SELECT * FROM rows WHERE key = ?", (key,)).fetchone()
            if record is None:
                raise LedgerError(f"row {key}: no such row")
            current = RowState(record["state"])
            if to not in TRANSITIONS[current] or (sources and current not in sources):
                raise LedgerError(f"row {key}: cannot move from {current} to {to}")
            for column, value in (expect or {}).items():
                if record[column] != value:
                    raise LedgerError(f"row {key}: {column} is {record[column]!r}, not {value!r}: cannot move to {to}")
            assignments = "".join(f", {column} = ?" for column in columns)
            self._db.execute(
                f"UPDATE rows SET state = ?, updated_at = ?{assignments} WHERE key = ?",
                (to.value, time.time(), *columns.values(), key),
            )
        self._counts[current] -= 1
        self._counts[to] += 1


_MIGRATIONS: Mapping[str, tuple[str, str]] = {
    "1": ("2", "ALTER TABLE rows ADD COLUMN history TEXT NOT NULL DEFAULT '[]'"),
}
"""Schema version → (the next version, the statement that gets there). Each runs in the opening transaction."""


def _migrate(connection: sqlite3.Connection) -> None:
    """Bring an older ledger's schema up to this version's, one step at a time (inside the caller's transaction)."""
    record = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    version = None if record is None else str(record[0])
    while version is not None and version in _MIGRATIONS:
        version, statement = _MIGRATIONS[version]
        connection.execute(statement)
        connection.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (version,))


class _transaction:
    """BEGIN IMMEDIATE … COMMIT (ROLLBACK on error) on an autocommit connection; nests as a no-op."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self._outer = False

    def __enter__(self) -> None:
        self._outer = not self._db.in_transaction
        if self._outer:
            self._db.execute("BEGIN IMMEDIATE")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._outer:
            return
        if exc_type is None:
            self._db.execute("COMMIT")
        else:
            self._db.execute("ROLLBACK")


def retryable_failure(row: LedgerRow) -> bool:
    """Whether the row failed because its job did (a lifecycle failure state): what `--retry-failed` creates again."""
    return row.state == RowState.FAILED and not row.retryable and row.failure in lifecycle().failure_states


def _unsent(row: LedgerRow) -> bool:
    """Whether nothing was ever created for the row (so the file may still change it)."""
    return row.state in (RowState.PENDING, RowState.SKIPPED) or (row.state == RowState.FAILED and row.retryable)


def _identity(row: LedgerRow) -> tuple[object, ...]:
    return (row.name, row.text, row.avatar_id, row.full_background, row.voice_id)


def _row_identity(row: Row) -> tuple[object, ...]:
    return (row.name, row.text, row.avatar.id, row.full_background, row.voice_id)


def _row_values(row: Row) -> dict[str, Any]:
    return {
        "name": row.name,
        "text": row.text,
        "avatar_id": row.avatar.id,
        "avatar_name": row.avatar.name,
        "is_photo": int(row.avatar.is_photo),
        "full_background": None if row.full_background is None else int(row.full_background),
        "voice_id": row.voice_id,
        "mode": row.mode,
        "file": row.file,
    }
