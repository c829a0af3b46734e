"""The stock avatars and voices every tenant sees: those of Miraflow's photo-avatar guide, with their exact ids."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AVATARS", "VOICES", "StockAvatar", "StockVoice"]


@dataclass(frozen=True)
class StockAvatar:
    """An avatar as `GET /api/avatars` lists it."""

    id: str
    name: str
    created_at: str
    voice_id: str
    is_photo: bool

    def to_json(self) -> dict[str, object]:
        """The avatar as the API serialises it."""
        return {
            "id": self.id,
            "name": self.name,
            "createdAt": self.created_at,
            "voiceId": self.voice_id,
            "isPhoto": self.is_photo,
        }


@dataclass(frozen=True)
class StockVoice:
    """A voice as `GET /api/voices` lists it."""

    id: str
    name: str

    def to_json(self) -> dict[str, object]:
        """The voice as the API serialises it."""
        return {"id": self.id, "name": self.name}


AVATARS: tuple[StockAvatar, ...] = (
    # The three avatars of the guide, verbatim.
    StockAvatar("cmdms9d3s001no401kqwbr0q5", "Margot", "2025-07-28T07:25:02.489Z", "Nhs7eitvQWFTQBsf0yiT", True),
    StockAvatar("cme8if4yk007ko9013856uc33", "Miraflow Muse", "2025-08-12T12:20:31.580Z", "Nhs7eitvQWFTQBsf0yiT", True),
    StockAvatar("cm2yaz9j10008l0qg9npyjgs3", "Aerin", "2024-11-01T05:37:46.194Z", "wBPTRK6eIJgAFmDsfw29", False),
    # More of each kind, ours.
    StockAvatar("cmf1sim0000photo0000000001", "Theo", "2025-08-30T09:00:00.000Z", "wBPTRK6eIJgAFmDsfw29", True),
    StockAvatar("cmf1sim0000video0000000002", "Nadia", "2025-06-02T14:30:00.000Z", "Nhs7eitvQWFTQBsf0yiT", False),
)

VOICES: tuple[StockVoice, ...] = (
    StockVoice("Nhs7eitvQWFTQBsf0yiT", "Nova"),
    StockVoice("wBPTRK6eIJgAFmDsfw29", "Aria"),
    StockVoice("pqHfZKP75CvOlQylNhV4", "Bill"),
)
