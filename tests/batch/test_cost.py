"""The cost, before it is spent: credits per row and in total from the spec's prices, and a balance that covers them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from miraflow import AsyncMiraflow
from miraflow.batch import Outcome, run_campaign
from miraflow.batch import cost as cost_module
from miraflow.batch.cost import (
    InsufficientCreditsError,
    estimate_cost,
    large_script_warning,
    script_needs_confirmation,
)
from miraflow.batch.errors import BatchError
from miraflow.batch.naming import token_in
from miraflow.batch.rows import Row, read_rows, validate_rows
from miraflow.spec import Pricing, lifecycle, pricing
from miraflow.types import Avatar
from miraflow_mock.testing import SimulatorHandle
from tests.batch.conftest import BATCH_KEY, TIME_SCALE, write_csv

_T = datetime(2025, 1, 1, tzinfo=UTC)
MARGOT = Avatar(id="cmdms9d3s001no401kqwbr0q5", name="Margot", created_at=_T, voice_id="v1", is_photo=True)
AERIN = Avatar(id="cm2yaz9j10008l0qg9npyjgs3", name="Aerin", created_at=_T, voice_id="v2", is_photo=False)
PRICES = Pricing(
    unit="credits",
    words_per_minute=150,
    min_speech_seconds=1,
    seconds_per_credit=30,
    mode_multiplier={"face_cropped": 1, "full_background": 3, "video_avatar": 2},
    usual_script_characters=100,
    confirm_script_characters=1000,
    assumptions=("test-prices",),
)
WORDS_100 = " ".join(["word"] * 100)  # 40 s of speech at 150 words a minute: two started 30 s blocks


def _row(key: int, mode: str, text: str = "Hi.") -> Row:
    avatar = AERIN if mode == "video_avatar" else MARGOT
    full = {"face_cropped": False, "full_background": True}.get(mode)
    return Row(
        key=key,
        line=key + 1,
        name=f"v{key}",
        text=text,
        avatar=avatar,
        full_background=full,
        voice_id=None,
        mode=mode,
        file=f"v{key}.mp4",
    )


ROWS = [
    _row(1, "face_cropped"),
    _row(2, "full_background"),
    _row(3, "video_avatar"),
    _row(4, "face_cropped", WORDS_100),
]


def test_credits_per_row_and_in_total_by_mode_and_speech_length() -> None:
    estimate = estimate_cost(ROWS, prices=PRICES)
    assert [(row.key, row.mode, row.speech_seconds, row.credits) for row in estimate.rows] == [
        (1, "face_cropped", 1.0, 1),  # one word: the minimum of one second, one credit
        (2, "full_background", 1.0, 3),
        (3, "video_avatar", 1.0, 2),
        (4, "face_cropped", 40.0, 2),
    ]
    assert estimate.total == 8
    assert estimate.by_mode == {"face_cropped": (2, 3), "full_background": (1, 3), "video_avatar": (1, 2)}
    assert estimate.balance is None and estimate.covered is None and estimate.affordable is None
    assert estimate.shortfall == 0.0


def test_pricing_rule() -> None:
    assert PRICES.speech_seconds("") == 1.0
    assert PRICES.speech_seconds(" ".join(["w"] * 75)) == 30.0
    assert PRICES.credits("face_cropped", 30.0) == 1
    assert PRICES.credits("face_cropped", 30.01) == 2
    assert PRICES.credits("full_background", 61) == 9
    with pytest.raises(KeyError):
        PRICES.credits("hologram", 1)


def test_the_default_prices_are_the_specs() -> None:
    spec = pricing()
    estimate = estimate_cost(ROWS)
    assert estimate.total == sum(spec.script_credits(row.mode, row.text) for row in ROWS)
    assert estimate.assumptions == spec.assumptions and estimate.unit == spec.unit
    # Full background costs more than a face-cropped preview: the guide says it renders 2–3× longer.
    assert spec.script_credits("full_background", "Hi.") > spec.script_credits("face_cropped", "Hi.")


@pytest.mark.parametrize(
    ("balance", "covered", "affordable", "shortfall"),
    [
        (8, True, 4, 0.0),
        (100, True, 4, 0.0),
        (7.9, False, 3, 0.1),
        (6, False, 3, 2.0),
        (5.9, False, 2, 2.1),
        (3.5, False, 1, 4.5),
        (0, False, 0, 8.0),
    ],
)
def test_a_balance_covers_the_campaign_or_says_how_far_it_goes(
    balance: float, covered: bool, affordable: int, shortfall: float
) -> None:
    estimate = estimate_cost(ROWS, balance=balance, prices=PRICES)
    assert estimate.covered is covered
    assert estimate.affordable == affordable
    assert estimate.shortfall == pytest.approx(shortfall)


def test_check_refuses_a_campaign_the_balance_cannot_cover_unless_allowed() -> None:
    short = estimate_cost(ROWS, balance=4.5, prices=PRICES)
    with pytest.raises(InsufficientCreditsError) as caught:
        short.check()
    error = caught.value
    assert isinstance(error, BatchError) and error.estimate is short
    message = str(error)
    assert "estimated 8 credits" in message and "balance is 4.50" in message
    assert "first 2 of 4 rows" in message and "--allow-partial" in message
    short.check(allow_partial=True)  # told: no error
    estimate_cost(ROWS, balance=8, prices=PRICES).check()  # covered
    estimate_cost(ROWS, prices=PRICES).check()  # no balance known: nothing to refuse


def test_a_negative_balance_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        estimate_cost(ROWS, balance=-1, prices=PRICES)


def test_json_says_it_is_an_estimate() -> None:
    data = estimate_cost(ROWS[:2], balance=2, prices=PRICES).to_json()
    assert data["estimate"] is True and data["assumptions"] == ["test-prices"]
    assert (data["total"], data["balance"], data["covered"], data["affordableRows"]) == (4, 2, False, 1)
    assert data["byMode"]["full_background"] == {"videos": 1, "credits": 3}
    assert data["rows"][1] == {"row": 2, "name": "v2", "mode": "full_background", "speechSeconds": 1.0, "credits": 3}


def test_an_estimate_from_a_validated_file(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        f"avatar;name;text;full_background\nMargot;A;Hi;\nMargot;B;Hi;yes\nAerin;C;{WORDS_100};\n", encoding="utf-8"
    )
    validation = validate_rows(read_rows(path), avatars=[MARGOT, AERIN])
    assert validation.ok, validation.errors
    estimate = estimate_cost(validation.rows, prices=PRICES)
    assert [(row.mode, row.credits) for row in estimate.rows] == [
        ("face_cropped", 1),
        ("full_background", 3),
        ("video_avatar", 4),
    ]
    assert estimate.total == 8


def test_every_mode_of_the_lifecycle_is_priced() -> None:
    rows = [_row(i, mode) for i, mode in enumerate(lifecycle().modes, start=1)]
    assert len(estimate_cost(rows).rows) == len(lifecycle().modes)


async def test_the_estimate_is_what_the_simulator_charges(sim: SimulatorHandle, tmp_path: Path) -> None:
    # The simulator charges by the spec's x-pricing too: a campaign's estimate is exactly what it spends there.
    rows = [
        {"avatar": "Margot", "name": "short", "text": "Hi.", "full_background": ""},
        {"avatar": "Margot", "name": "long", "text": " ".join(["word"] * 120), "full_background": ""},
        {"avatar": "Margot", "name": "full", "text": " ".join(["word"] * 80), "full_background": "true"},
        {"avatar": "Aerin", "name": "video", "text": " ".join(["word"] * 200), "full_background": ""},
    ]
    file = write_csv(tmp_path / "c.csv", rows)
    validation = validate_rows(read_rows(file), avatars=[MARGOT, AERIN])
    estimate = estimate_cost(validation.rows)
    (before,) = [tenant["credits"] for tenant in sim.tenants() if tenant["keyHint"] == BATCH_KEY[-4:]]
    async with AsyncMiraflow(BATCH_KEY, base_url=sim.api_root, max_retries=0) as client:
        result = await run_campaign(file, tmp_path / "out", client=client, time_scale=TIME_SCALE)
    assert result.outcome is Outcome.DONE, result.problems
    (after,) = [tenant["credits"] for tenant in sim.tenants() if tenant["keyHint"] == BATCH_KEY[-4:]]
    charged = {token_in(job["name"]): job["cost"] for job in sim.jobs()}
    assert {int(str(tag).split("-")[2]): cost for tag, cost in charged.items()} == {
        row.key: row.credits for row in estimate.rows
    }
    assert before - after == estimate.total
    assert len({row.credits for row in estimate.rows}) > 1  # the rows really differ in price


# --- a single create's script ----------------------------------------------------------------------------------------


def test_a_script_far_above_the_usual_size_needs_confirmation() -> None:
    assert not script_needs_confirmation("x" * 1000, prices=PRICES)
    assert not script_needs_confirmation("  " + "x" * 1000 + "\n", prices=PRICES)  # surrounding space is not speech
    assert script_needs_confirmation("x" * 1001, prices=PRICES)
    assert large_script_warning("x" * 1000, prices=PRICES) is None
    warning = large_script_warning("x" * 2500, prices=PRICES)
    assert warning is not None and "2,500 characters" in warning and "about 100" in warning


def test_the_guides_scripts_need_no_confirmation_with_the_spec_threshold() -> None:
    guide_longest = (
        "Hi there! Welcome to our company! I am excited to personally introduce you to our revolutionary platform "
        "that will transform how you work and collaborate."
    )
    assert not script_needs_confirmation(guide_longest)
    assert script_needs_confirmation(guide_longest * 11)


def test_the_module_exports_what_it_documents() -> None:
    for name in cost_module.__all__:
        assert getattr(cost_module, name).__doc__, name
