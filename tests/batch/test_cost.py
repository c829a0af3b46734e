"""The cost, before it is spent: credits per row and in total from the spec's prices, and a balance that covers them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from miraflow.batch import cost as cost_module
from miraflow.batch.cost import (
    InsufficientCreditsError,
    estimate_cost,
    large_script_warning,
    script_needs_confirmation,
)
from miraflow.batch.errors import BatchError
from miraflow.batch.rows import Row, read_rows, validate_rows
from miraflow.spec import Assumption, Pricing, lifecycle, pricing
from miraflow.types import Avatar

_T = datetime(2025, 1, 1, tzinfo=UTC)
MARGOT = Avatar(id="cmdms9d3s001no401kqwbr0q5", name="Margot", created_at=_T, voice_id="v1", is_photo=True)
AERIN = Avatar(id="cm2yaz9j10008l0qg9npyjgs3", name="Aerin", created_at=_T, voice_id="v2", is_photo=False)
PRICES = Pricing(
    unit="credits",
    credits_per_video={"face_cropped": 1.0, "full_background": 2.5, "video_avatar": 1.5},
    usual_script_characters=100,
    confirm_script_characters=1000,
    assumption=Assumption(source="inferred", note="test prices", checked_by="here"),
)


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


ROWS = [_row(1, "face_cropped"), _row(2, "full_background"), _row(3, "video_avatar"), _row(4, "face_cropped")]


def test_credits_per_row_and_in_total_by_mode() -> None:
    estimate = estimate_cost(ROWS, prices=PRICES)
    assert [(row.key, row.mode, row.credits) for row in estimate.rows] == [
        (1, "face_cropped", 1.0),
        (2, "full_background", 2.5),
        (3, "video_avatar", 1.5),
        (4, "face_cropped", 1.0),
    ]
    assert estimate.total == 6.0
    assert estimate.by_mode == {"face_cropped": (2, 2.0), "full_background": (1, 2.5), "video_avatar": (1, 1.5)}
    assert estimate.balance is None and estimate.covered is None and estimate.affordable is None
    assert estimate.shortfall == 0.0


def test_the_default_prices_are_the_specs() -> None:
    spec = pricing()
    estimate = estimate_cost(ROWS)
    assert estimate.total == sum(spec.credits(row.mode) for row in ROWS)
    assert estimate.assumption == spec.assumption and estimate.unit == spec.unit
    # Full background costs more than a face-cropped preview: the guide says it renders 2–3× longer.
    assert spec.credits("full_background") > spec.credits("face_cropped")


@pytest.mark.parametrize(
    ("balance", "covered", "affordable", "shortfall"),
    [
        (6.0, True, 4, 0.0),
        (100.0, True, 4, 0.0),
        (5.9, False, 3, 0.1),
        (3.5, False, 2, 2.5),
        (3.4, False, 1, 2.6),
        (0.0, False, 0, 6.0),
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
    short = estimate_cost(ROWS, balance=3.5, prices=PRICES)
    with pytest.raises(InsufficientCreditsError) as caught:
        short.check()
    error = caught.value
    assert isinstance(error, BatchError) and error.estimate is short
    message = str(error)
    assert "estimated 6 credits" in message and "balance is 3.50" in message
    assert "first 2 of 4 rows" in message and "--allow-partial" in message
    short.check(allow_partial=True)  # told: no error
    estimate_cost(ROWS, balance=6, prices=PRICES).check()  # covered
    estimate_cost(ROWS, prices=PRICES).check()  # no balance known: nothing to refuse


def test_a_negative_balance_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        estimate_cost(ROWS, balance=-1, prices=PRICES)


def test_json_says_it_is_an_estimate() -> None:
    data = estimate_cost(ROWS[:2], balance=2, prices=PRICES).to_json()
    assert data["estimate"] is True and data["source"] == "inferred"
    assert (data["total"], data["balance"], data["covered"], data["affordableRows"]) == (3.5, 2, False, 1)
    assert data["byMode"]["full_background"] == {"videos": 1, "credits": 2.5}
    assert data["rows"][1] == {"row": 2, "name": "v2", "mode": "full_background", "credits": 2.5}


def test_an_estimate_from_a_validated_file(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("avatar;name;text;full_background\nMargot;A;Hi;\nMargot;B;Hi;yes\nAerin;C;Hi;\n", encoding="utf-8")
    validation = validate_rows(read_rows(path), avatars=[MARGOT, AERIN])
    assert validation.ok, validation.errors
    estimate = estimate_cost(validation.rows, prices=PRICES)
    assert [row.mode for row in estimate.rows] == ["face_cropped", "full_background", "video_avatar"]
    assert estimate.total == 5.0


def test_every_mode_of_the_lifecycle_is_priced() -> None:
    rows = [_row(i, mode) for i, mode in enumerate(lifecycle().modes, start=1)]
    assert len(estimate_cost(rows).rows) == len(lifecycle().modes)


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
