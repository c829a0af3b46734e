"""`miraflow batch run`: the estimated cost before it is spent, the balance check, and `--encoding`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from miraflow_mock.testing import SimulatorHandle
from tests.batch.conftest import BATCH_KEY, SIM_OPTIONS, campaign_rows, run_cli, write_csv

pytestmark = pytest.mark.timeout(120)

LONG = "word " * 200  # about 80 s of speech: 3 credits face-cropped


def _file(tmp_path: Path) -> Path:
    rows = campaign_rows(3)
    rows[2]["text"] = LONG
    return write_csv(tmp_path / "c.csv", rows)  # 1 + 1 + 3 = 5 credits (an estimate)


def test_the_dry_run_shows_credits_per_row_and_in_total(sim: SimulatorHandle, tmp_path: Path) -> None:
    file = _file(tmp_path)
    text = run_cli(sim, "run", str(file), "--out", str(tmp_path / "o"), "--dry-run", "--balance", "100")
    assert text.returncode == 0, text.stderr
    assert "estimate" in text.stdout and "estimated total: 5 credits for 3 video(s)" in text.stdout
    assert "row 3 'Hello Person3 #3': face_cropped, ~80 s of speech: 3" in text.stdout
    assert "balance: 100 credits (from --balance): covers it" in text.stdout
    as_json = json.loads(run_cli(sim, "run", str(file), "--out", str(tmp_path / "o"), "--dry-run", "--json").stdout)
    cost = as_json["cost"]
    assert cost["estimate"] is True and cost["total"] == 5 and [r["credits"] for r in cost["rows"]] == [1, 1, 3]
    # No --balance: the local simulator's tenant is the balance (SIM_OPTIONS gives 10,000,000 credits).
    assert cost["balance"] == 10_000_000 and cost["balanceSource"] == "the local simulator's admin API"
    assert sim.count_requests("POST", "/api/video/create") == 0


def test_a_campaign_the_balance_cannot_cover_is_refused_unless_partial_is_allowed(
    miraflow_simulator_factory: Callable[..., SimulatorHandle], tmp_path: Path
) -> None:
    sim = miraflow_simulator_factory(**{**SIM_OPTIONS, "tenants": {BATCH_KEY: 3}})
    file = _file(tmp_path)
    out = tmp_path / "out"
    dry = run_cli(sim, "run", str(file), "--out", str(out), "--dry-run")
    assert dry.returncode == 0 and "2 short, covers the first 2 of 3 row(s)" in dry.stdout
    refused = run_cli(sim, "run", str(file), "--out", str(out), "--yes")  # the simulator's 3 credits
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "estimated 5 credits but the balance is 3" in refused.stderr and "--allow-partial" in refused.stderr
    from_env = run_cli(sim, "run", str(file), "--out", str(out), "--yes", MIRAFLOW_BALANCE="4")
    assert from_env.returncode == 2 and "the balance is 4" in from_env.stderr
    assert sim.count_requests("POST", "/api/video/create") == 0
    bad = run_cli(sim, "run", str(file), "--out", str(out), "--yes", "--balance", "lots")
    assert bad.returncode == 2 and "--balance must be a number" in bad.stderr

    partial = run_cli(sim, "run", str(file), "--out", str(out), "--yes", "--allow-partial", "--json")
    assert partial.returncode == 1, partial.stderr  # started; the service's own "not enough credits" halted it
    summary = json.loads(partial.stdout)
    assert summary["counts"]["downloaded"] == 2 and "not enough credits" in (summary["halted"] or "")
    enough = run_cli(sim, "run", str(file), "--out", str(out), "--yes", "--balance", "3", "--json")
    assert enough.returncode == 1  # only the row left is counted now (3 credits): not refused, the service halts it
    assert "estimated" not in enough.stderr


def test_encoding_names_the_files_encoding(sim: SimulatorHandle, tmp_path: Path) -> None:
    file = tmp_path / "latin.csv"
    file.write_bytes('avatar,text,name\nMargot,"Olá José, ça va?",Café\n'.encode("cp1252"))
    refused = run_cli(sim, "run", str(file), "--out", str(tmp_path / "o"), "--dry-run")
    assert refused.returncode == 2 and "--encoding" in refused.stderr and refused.stderr.count("\n") == 1
    read = run_cli(sim, "run", str(file), "--out", str(tmp_path / "o"), "--dry-run", "--encoding", "cp1252", "--json")
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout)["cost"]["rows"][0]["name"] == "Café"
    done = run_cli(sim, "run", str(file), "--out", str(tmp_path / "o"), "--yes", "--encoding", "cp1252")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o" / "Café.mp4").is_file()
