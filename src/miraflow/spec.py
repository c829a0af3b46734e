"""The packaged OpenAPI contract, and the job lifecycle it declares.

`openapi.yaml` ships inside this package. Everything that the contract can say about jobs (the states, which are
terminal, which transitions are allowed, how long each generation mode takes and what shape its output has) is read
from its `x-job-lifecycle` extension here, so the SDK, the simulator and the tests share one copy of those facts.
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

__all__ = [
    "DurationRange",
    "Lifecycle",
    "Mode",
    "SpecError",
    "StateInfo",
    "lifecycle",
    "load_spec",
    "max_request_body_bytes",
    "parse_lifecycle",
    "spec_path",
    "status_variants",
]

_LIFECYCLE_KEY = "x-job-lifecycle"


class SpecError(ValueError):
    """The packaged spec is inconsistent: its lifecycle extension disagrees with its schemas."""


@dataclass(frozen=True)
class DurationRange:
    """How long a job of one generation mode takes to render, in seconds of the service's clock."""

    min: float
    max: float

    def scaled(self, time_scale: float) -> DurationRange:
        """Return this range with both ends multiplied by `time_scale` (for simulators faster than real time)."""
        return DurationRange(self.min * time_scale, self.max * time_scale)

    def contains(self, seconds: float, *, tolerance: float = 0.0) -> bool:
        """Tell whether `seconds` lies in the range, widened by `tolerance` seconds at both ends."""
        return self.min - tolerance <= seconds <= self.max + tolerance


@dataclass(frozen=True)
class Mode:
    """A generation mode: which creates select it, how long it takes, and its output's frame aspect."""

    name: str
    avatar_is_photo: bool
    im2vid_full: bool | None
    default: bool
    duration: DurationRange
    aspect: tuple[int, int]
    description: str

    @property
    def aspect_ratio(self) -> float:
        """The output frame's width divided by its height."""
        return self.aspect[0] / self.aspect[1]


@dataclass(frozen=True)
class StateInfo:
    """One job state as the lifecycle describes it."""

    name: str
    terminal: bool
    outcome: Literal["success", "failure"] | None
    has_progress: bool
    carries_video_id: bool
    description: str


@dataclass(frozen=True)
class Lifecycle:
    """The job lifecycle of `x-job-lifecycle`, checked against the JobStatus schema it describes."""

    states: Mapping[str, StateInfo]
    initial: str
    transitions: Mapping[str, frozenset[str]]
    modes: Mapping[str, Mode]

    @functools.cached_property
    def state_names(self) -> tuple[str, ...]:
        """Every state, in the order the spec lists them."""
        return tuple(self.states)

    @functools.cached_property
    def terminal_states(self) -> frozenset[str]:
        """The states a job never leaves."""
        return frozenset(name for name, info in self.states.items() if info.terminal)

    @functools.cached_property
    def success_state(self) -> str:
        """The one terminal state that means the video is ready."""
        return next(name for name, info in self.states.items() if info.outcome == "success")

    @functools.cached_property
    def failure_states(self) -> frozenset[str]:
        """The terminal states that mean no video was made."""
        return frozenset(name for name, info in self.states.items() if info.outcome == "failure")

    @functools.cached_property
    def progress_state(self) -> str:
        """The state whose status carries a `progress` percentage."""
        return next(name for name, info in self.states.items() if info.has_progress)

    def is_terminal(self, state: str) -> bool:
        """Tell whether `state` is terminal. Raises `KeyError` for a state the spec does not know."""
        return self.states[state].terminal

    def reachable(self, source: str) -> frozenset[str]:
        """Every state reachable from `source` in one or more steps."""
        seen: set[str] = set()
        frontier = list(self.transitions[source])
        while frontier:
            state = frontier.pop()
            if state not in seen:
                seen.add(state)
                frontier.extend(self.transitions[state])
        return frozenset(seen)

    def can_observe(self, before: str, after: str) -> bool:
        """Tell whether two successive polls may see `before` then `after`: the same state, or any later one."""
        return before == after or after in self.reachable(before)

    def mode_for(self, *, is_photo: bool, im2vid_full: bool | None) -> Mode:
        """The generation mode a create selects, given the avatar's kind and the `im2vid_full` sent (None: absent)."""
        candidates = [mode for mode in self.modes.values() if mode.avatar_is_photo == is_photo]
        if len(candidates) == 1:
            return candidates[0]  # a single mode: im2vid_full is ignored
        for mode in candidates:
            # `is`, not `==`: only a real boolean (or None) selects a mode; "true" from a form is not True.
            if mode.default if im2vid_full is None else mode.im2vid_full is im2vid_full:
                return mode
        # Not StopIteration: inside a coroutine that becomes a RuntimeError far from its cause.
        raise ValueError(f"no generation mode for isPhoto={is_photo} and im2vid_full={im2vid_full!r}")

    def mode(self, name: str) -> Mode:
        """The mode called `name`. Raises `KeyError` for a name the spec does not define."""
        return self.modes[name]


def spec_path() -> Path:
    """The file system path of the packaged `openapi.yaml` (for tools such as Prism that take a file)."""
    resource = importlib.resources.files("miraflow").joinpath("openapi.yaml")
    return Path(str(resource))


@functools.cache
def load_spec() -> Mapping[str, Any]:
    """The packaged OpenAPI document, parsed. Cached: treat it as read-only."""
    with spec_path().open(encoding="utf-8") as handle:
        document: dict[str, Any] = yaml.safe_load(handle)
    return document


@functools.cache
def lifecycle() -> Lifecycle:
    """The job lifecycle declared by the packaged spec, validated against its JobStatus schema."""
    return parse_lifecycle(load_spec())


def max_request_body_bytes(document: Mapping[str, Any] | None = None) -> int:
    """The largest request body the API takes, in bytes (`x-request-limits.maxBodyBytes`; larger ones get a 413)."""
    document = load_spec() if document is None else document
    try:
        value = document["x-request-limits"]["maxBodyBytes"]
    except (KeyError, TypeError):
        raise SpecError("the spec has no x-request-limits.maxBodyBytes") from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(f"x-request-limits.maxBodyBytes must be a positive whole number, not {value!r}")
    return value


def parse_lifecycle(document: Mapping[str, Any]) -> Lifecycle:
    """Build the `Lifecycle` of an OpenAPI document, raising `SpecError` if it contradicts the document's schemas."""
    try:
        raw = document[_LIFECYCLE_KEY]
    except KeyError:
        raise SpecError(f"the spec has no {_LIFECYCLE_KEY} extension") from None

    states = {
        name: StateInfo(
            name=name,
            terminal=bool(info["terminal"]),
            outcome=info.get("outcome"),
            has_progress=bool(info.get("progress", False)),
            carries_video_id=bool(info.get("carriesVideoId", False)),
            description=str(info.get("description", "")),
        )
        for name, info in raw["states"].items()
    }
    transitions = {name: frozenset(raw["transitions"].get(name, ())) for name in states}
    modes = {name: _parse_mode(name, info) for name, info in raw["modes"].items()}
    result = Lifecycle(states=states, initial=raw["initial"], transitions=transitions, modes=modes)
    _check(result, document, raw["statusSchema"])
    return result


def _parse_mode(name: str, info: Mapping[str, Any]) -> Mode:
    width, height = (int(part) for part in str(info["aspect"]).split(":"))
    return Mode(
        name=name,
        avatar_is_photo=bool(info["avatarIsPhoto"]),
        im2vid_full=info.get("im2vid_full"),
        default=bool(info.get("default", False)),
        duration=DurationRange(float(info["durationSeconds"]["min"]), float(info["durationSeconds"]["max"])),
        aspect=(width, height),
        description=str(info.get("description", "")),
    )


def status_variants(document: Mapping[str, Any], schema_name: str) -> dict[str, Mapping[str, Any]]:
    """Map each `status` const of the named oneOf schema to its variant schema."""
    schemas = document["components"]["schemas"]
    variants: dict[str, Mapping[str, Any]] = {}
    for ref in schemas[schema_name]["oneOf"]:
        variant = schemas[ref["$ref"].rsplit("/", 1)[-1]]
        variants[variant["properties"]["status"]["const"]] = variant
    return variants


def _check(result: Lifecycle, document: Mapping[str, Any], schema_name: str) -> None:
    problems: list[str] = []
    variants = status_variants(document, schema_name)
    if set(variants) != set(result.states):
        problems.append(f"states {sorted(result.states)} differ from {schema_name}'s statuses {sorted(variants)}")
    if result.initial not in result.states:
        problems.append(f"initial state {result.initial!r} is not a state")
    for source, targets in result.transitions.items():
        if unknown := targets - set(result.states):
            problems.append(f"transitions from {source} name unknown states {sorted(unknown)}")
        if result.states[source].terminal and targets:
            problems.append(f"terminal state {source} has outgoing transitions")
    if sum(info.outcome == "success" for info in result.states.values()) != 1:
        problems.append("exactly one state must have outcome: success")
    if sum(info.has_progress for info in result.states.values()) != 1:
        problems.append("exactly one state must carry progress")
    for name, info in result.states.items():
        variant = variants.get(name, {})
        requires_video = "videoId" in variant.get("required", ())
        if info.carries_video_id != requires_video:
            problems.append(f"{name}: carriesVideoId is {info.carries_video_id} but the schema disagrees")
        if info.terminal != (info.outcome is not None):
            problems.append(f"{name}: terminal states, and only they, have an outcome")
    for is_photo in (True, False):
        if not [mode for mode in result.modes.values() if mode.avatar_is_photo == is_photo]:
            problems.append(f"no generation mode for isPhoto={is_photo}")
    photo_defaults = [mode for mode in result.modes.values() if mode.avatar_is_photo and mode.default]
    if len(photo_defaults) != 1:
        problems.append("exactly one photo-avatar mode must be the default (im2vid_full absent)")
    if problems:
        raise SpecError("x-job-lifecycle is inconsistent: " + "; ".join(problems))
