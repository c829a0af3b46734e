"""The ledger: allowed transitions only, durable commits, and a file that may not change rows already sent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from miraflow.batch.errors import LedgerConflictError
from miraflow.batch.ledger import TRANSITIONS, Ledger, LedgerError, RowState
from miraflow.batch.naming import api_name, token_in, video_token
from miraflow.batch.rows import Row, RowError
from miraflow.types import Avatar

_AVATAR = Avatar(id="a1", name="Margot", created_at=datetime(2025, 1, 1, tzinfo=UTC), voice_id="v", is_photo=True)


def _row(key: int, name: str | None = None, text: str = "Hi") -> Row:
    name = name or f"Video {key}"
    return Row(
        key=key,
        line=key + 1,
        name=name,
        text=text,
        avatar=_AVATAR,
        full_background=None,
        voice_id=None,
        mode="face_cropped",
        file=f"{name}.mp4",
    )


def _ledger(tmp_path: Path, rows: int = 3) -> Ledger:
    ledger = Ledger.open(tmp_path / "out")
    ledger.sync([_row(key) for key in range(1, rows + 1)], [])
    return ledger


def test_the_happy_path_and_its_records(tmp_path: Path) -> None:
    with _ledger(tmp_path) as ledger:
        row = ledger.mark_creating(1)
        assert row.state == RowState.CREATING and row.intent_seq == 1 and row.intent_at is not None
        assert token_in(row.api_name or "") == video_token(ledger.campaign_id, 1)
        assert ledger.mark_creating(2).intent_seq == 2
        ledger.mark_created(1, "job-1")
        ledger.mark_complete(1, "video-1")
        ledger.mark_downloaded(1, file="Video 1.mp4", sha256="ab" * 32, size=10)
        assert ledger.counts()[RowState.DOWNLOADED] == 1
        assert ledger.counts()[RowState.CREATING] == 1
    with Ledger.open(tmp_path / "out", create=False) as again:  # committed: a new process sees it
        done = again.get(1)
        assert (done.state, done.job_id, done.video_id, done.size) == (RowState.DOWNLOADED, "job-1", "video-1", 10)
        assert again.counts()[RowState.PENDING] == 1
        assert again.mark_creating(3).intent_seq == 3  # create order goes on across runs


def test_every_move_outside_the_table_is_refused(tmp_path: Path) -> None:
    moves = {
        RowState.CREATING: lambda ledger, key: ledger.mark_creating(key),
        RowState.CREATED: lambda ledger, key: ledger.mark_created(key, "j"),
        RowState.COMPLETE: lambda ledger, key: ledger.mark_complete(key, "v"),
        RowState.DOWNLOADED: lambda ledger, key: ledger.mark_downloaded(key, file="f", sha256="s", size=1),
        RowState.AMBIGUOUS: lambda ledger, key: ledger.mark_ambiguous(key, "why"),
        RowState.FAILED: lambda ledger, key: ledger.mark_failed(key, "inference_failed", "why"),
    }
    paths = {
        RowState.PENDING: [],
        RowState.CREATING: [RowState.CREATING],
        RowState.CREATED: [RowState.CREATING, RowState.CREATED],
        RowState.COMPLETE: [RowState.CREATING, RowState.CREATED, RowState.COMPLETE],
        RowState.AMBIGUOUS: [RowState.CREATING, RowState.AMBIGUOUS],
    }
    for start, path in paths.items():
        for target, move in moves.items():
            with Ledger.open(tmp_path / f"{start}-{target}") as ledger:
                ledger.sync([_row(1)], [])
                for step in path:
                    moves[step](ledger, 1)
                assert ledger.get(1).state == start
                if target in TRANSITIONS[start]:
                    move(ledger, 1)
                    assert ledger.get(1).state == target
                else:
                    with pytest.raises(LedgerError, match=f"cannot move from {start} to {target}"):
                        move(ledger, 1)
                    assert ledger.get(1).state == start


def test_refused_creates_come_back_and_ambiguous_rows_get_a_new_name(tmp_path: Path) -> None:
    with _ledger(tmp_path) as ledger:
        ledger.mark_creating(1)
        ledger.mark_refused(1, "400 not enough credits")
        assert ledger.get(1).retryable
        assert ledger.reset_refused() == [1]
        assert ledger.get(1).state == RowState.PENDING
        ledger.mark_creating(2)
        ledger.mark_ambiguous(2, "not found")
        with pytest.raises(LedgerError):
            ledger.mark_pending(2)  # only mark_recreate takes an ambiguous row back, with a new attempt
        ledger.mark_recreate(2)
        row = ledger.mark_creating(2)
        assert row.attempt == 2
        assert token_in(row.api_name or "") == video_token(ledger.campaign_id, 2, 2)


def test_sync_keeps_sent_rows_as_they_were(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    ledger.mark_creating(1)
    ledger.mark_created(1, "job-1")
    ledger.sync([_row(1), _row(2, text="changed"), _row(3)], [])  # row 2 unsent: takes the new text
    assert ledger.get(2).text == "changed"
    with pytest.raises(LedgerConflictError, match=r"row 1 .* differs from the file"):
        ledger.sync([_row(1, text="changed"), _row(2), _row(3)], [])
    with pytest.raises(LedgerConflictError, match="no longer has it"):
        ledger.sync([_row(2), _row(3)], [])
    assert ledger.get(1).text == "Hi"
    ledger.close()


def test_skipped_rows_become_pending_once_fixed(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "out") as ledger:
        ledger.sync([_row(1)], [RowError(key=2, line=3, message="unknown avatar 'X'", name="B")])
        assert ledger.get(2).state == RowState.SKIPPED
        assert ledger.get(2).error == "unknown avatar 'X'"
        ledger.sync([_row(1), _row(2)], [])
        assert ledger.get(2).state == RowState.PENDING
        assert ledger.counts() == {**dict.fromkeys(RowState, 0), RowState.PENDING: 2}


def test_base_url_is_bound(tmp_path: Path) -> None:
    with _ledger(tmp_path) as ledger:
        ledger.bind(base_url="http://a/api", source="c.csv")
        ledger.bind(base_url="http://a/api", source="c.csv")
        with pytest.raises(LedgerConflictError, match="ran against http://a/api"):
            ledger.bind(base_url="http://b/api", source="c.csv")


def test_names() -> None:
    assert api_name("Hello Ana", video_token("0123abcd", 17)) == "Hello Ana [mf-0123abcd-17]"
    assert token_in("Hello Ana [mf-0123abcd-17]") == "mf-0123abcd-17"
    assert token_in("Hello [mf-0123abcd-17-3] ") == "mf-0123abcd-17-3"
    assert token_in("Hello [mf-xyz-17]") is None
    assert token_in("Hello Ana") is None
