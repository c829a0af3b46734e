"""The fuzz run's out-of-band steps: the bytes PUT to `uploadUrl` after an initialize, and media ids for creates.

(And one nudge: half the generated script creates get a real avatar id, so that jobs exist for the status, video and
download links to follow; random ids alone almost never name one.)

Schemathesis cannot take a step outside the API, so a finalize or a multipart create would only ever see media that
was never uploaded. These hooks make the uploads (valid audio, garbage, too few bytes, none at all, in turn), remember
which media ids got finalized, and hand them to finalize and multipart-create cases, so both are reached with valid
and invalid media. The variety is deterministic: it cycles with a counter, so a seed reproduces a run.
"""

from __future__ import annotations

import io
import itertools
import wave
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["MediaHooks", "wav_bytes"]

# The stock avatars of the guide (photo, photo, video).
AVATARS = ("cmdms9d3s001no401kqwbr0q5", "cme8if4yk007ko9013856uc33", "cm2yaz9j10008l0qg9npyjgs3")

# What the hook does with an initialize it sees, in turn.
_UPLOADS = ("valid", "garbage", "short", "none")
# What it does to a multipart create: (use which media, add which extra fields), in turn.
_CREATE_MEDIA = ("finalized", "pending", "generated", "finalized", "finalized")
_CREATE_EXTRAS: tuple[dict[str, str], ...] = (
    {},
    {"im2vid_full": "true"},
    {"im2vid_full": "false"},
    {"text": "hello", "im2vid_full": "true"},  # the request that crashed the simulator (issue 16)
    {"im2vid_full": "maybe"},
    {"voiceId": "Nhs7eitvQWFTQBsf0yiT"},
)


def wav_bytes(seconds: float = 0.5) -> bytes:
    """A small, valid mono WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x01\x00" * int(8000 * seconds))
    return buffer.getvalue()


@dataclass
class MediaHooks:
    """`before_call` / `after_call` for generated cases (stateless and stateful alike)."""

    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=60.0))
    finalized: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    uploads: dict[str, int] = field(default_factory=dict)  # PUTs made, by variant and answer
    variant: dict[str, str] = field(default_factory=dict)  # mediaId → what was uploaded to it
    spoiled: set[int] = field(default_factory=set)  # cases given media that is invalid on purpose (by id())
    _wav: bytes = field(default_factory=wav_bytes)
    _upload_turn: itertools.cycle[str] = field(default_factory=lambda: itertools.cycle(_UPLOADS))
    _media_turn: itertools.cycle[str] = field(default_factory=lambda: itertools.cycle(_CREATE_MEDIA))
    _extras_turn: itertools.cycle[dict[str, str]] = field(default_factory=lambda: itertools.cycle(_CREATE_EXTRAS))
    _next_upload: list[str] = field(default_factory=list)
    _avatar_turn: itertools.cycle[str | None] = field(
        default_factory=lambda: itertools.cycle([AVATARS[0], None, AVATARS[1], None, AVATARS[2], None])
    )

    def before_call(self, case: Any) -> None:
        """Shape a case so that the out-of-band step after it can succeed (or fail in a chosen way)."""
        from schemathesis.generation import GenerationMode

        operation_id = case.operation.definition.raw.get("operationId")
        meta = case.meta
        positive = meta is None or meta.generation.mode == GenerationMode.POSITIVE
        # Negative cases are left as generated: an edit could make them valid, and their check expects a refusal.
        body = case.body if isinstance(case.body, dict) and positive else None
        if operation_id == "initializeMedia" and body is not None:
            variant = next(self._upload_turn)
            self._next_upload.append(variant)
            # The declared size must match what the PUT will send; keep it small whatever was generated.
            if variant in ("valid", "short") or isinstance(body.get("fileSize"), int):
                body["fileSize"] = len(self._wav)
            if variant == "valid":
                body["contentType"] = "audio/wav"
        elif operation_id == "finalizeMedia" and body is not None:
            source = next(self._media_turn)
            if self.pending and source != "generated":
                # "finalized": the latest valid upload not finalized yet, so a 200 is reached whatever the order of
                # the generated calls; "pending": the latest upload, whatever went into it.
                ready = [m for m in self.pending if self.variant.get(m) == "valid" and m not in self.finalized]
                body["mediaId"] = ready[-1] if source == "finalized" and ready else self.pending[-1]
            # Media the hook uploaded badly (or not at all), whether it put the id here or a link did: a 400 is right.
            if self.variant.get(body.get("mediaId"), "valid") != "valid":
                self.spoiled.add(id(case))
        elif operation_id == "createVideo" and case.media_type == "application/json" and body is not None:
            if (avatar := next(self._avatar_turn)) is not None:
                body["avatarId"] = avatar
        elif operation_id == "createVideo" and case.media_type == "multipart/form-data" and body is not None:
            if (avatar := next(self._avatar_turn)) is not None:
                body["avatarId"] = avatar
            source = next(self._media_turn)
            if source == "finalized" and self.finalized:
                body["mediaId"] = self.finalized[-1]
            elif source == "pending" and self.pending:
                body["mediaId"] = self.pending[-1]
                if body["mediaId"] not in self.finalized:
                    self.spoiled.add(id(case))
            for name, value in next(self._extras_turn).items():
                body.setdefault(name, value)
            # Refused on purpose, whichever call put it there (an explicit example's case is reused): a 400 is right.
            if "text" in body or body.get("im2vid_full", "true") not in ("true", "false"):
                self.spoiled.add(id(case))

    def excluded_checks(self, case: Any) -> list[Any]:
        """positive_data_acceptance for a case the hooks gave invalid media on purpose (its 400 is right)."""
        from schemathesis.specs.openapi.checks import positive_data_acceptance

        if id(case) in self.spoiled:
            self.spoiled.discard(id(case))
            return [positive_data_acceptance]
        return []

    def after_call(self, case: Any, response: Any) -> None:
        """PUT the bytes after an initialize (the step outside the API); remember finalized media."""
        operation_id = case.operation.definition.raw.get("operationId")
        if operation_id == "initializeMedia":
            variant = self._next_upload.pop() if self._next_upload else "none"
            if response.status_code != 200:
                return
            answer = response.json()
            self.pending.append(answer["mediaId"])
            self.variant[answer["mediaId"]] = variant
            declared = case.body.get("fileSize") if isinstance(case.body, dict) else None
            data = {
                "valid": self._wav,
                "garbage": b"\x00not audio\xff" * (len(self._wav) // 11 + 1),
                "short": self._wav[: len(self._wav) // 2],
            }.get(variant)
            if data is None:
                return
            if variant == "garbage" and isinstance(declared, int):
                data = data[:declared]
            put = self.http.put(answer["uploadUrl"], content=data, headers={"content-type": "audio/wav"})
            self.uploads[f"{variant} → {put.status_code}"] = self.uploads.get(f"{variant} → {put.status_code}", 0) + 1
        elif operation_id == "finalizeMedia" and response.status_code == 200 and isinstance(case.body, dict):
            media = case.body.get("mediaId")
            if isinstance(media, str) and media not in self.finalized:
                self.finalized.append(media)
