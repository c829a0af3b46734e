"""The packaged OpenAPI contract, and the job lifecycle it declares.

`openapi.yaml` ships inside this package. Everything that the contract can say about jobs (the states, which are
terminal, which transitions are allowed, how long each generation mode takes and what shape its output has) is read
from its `x-job-lifecycle` extension here, so the SDK, the simulator and the tests share one copy of those facts.
"""

from __future__ import annotations

import functools
import importlib.resources
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

__all__ = [
    "BusinessErrors",
    "DurationRange",
    "Fact",
    "Lifecycle",
    "Mode",
    "Pricing",
    "SpecError",
    "StateInfo",
    "api_key_header",
    "business_errors",
    "default_server",
    "documented_error_statuses",
    "facts",
    "lifecycle",
    "load_spec",
    "max_request_body_bytes",
    "parse_lifecycle",
    "parse_pricing",
    "path_prefix",
    "pricing",
    "response_media_types",
    "spec_path",
    "status_variants",
]

_LIFECYCLE_KEY = "x-job-lifecycle"
_ASSUMPTION_KEY = "x-assumption"
_DOCUMENTED_KEY = "x-documented-facts"
_BUSINESS_KEY = "x-business-errors"
ASSUMPTION_SOURCES = ("third-party", "inferred")
DOCUMENTED_SOURCES = ("guide", "docs")
BUSINESS_PLACEMENTS = ("2xx", "4xx")


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


@functools.cache
def api_key_header() -> str:
    """The header that carries the API key, as the spec's security scheme names it (`x-api-key`)."""
    schemes = load_spec()["components"]["securitySchemes"]
    (name,) = {str(scheme["name"]) for scheme in schemes.values() if scheme.get("in") == "header"}
    return name


@functools.cache
def path_prefix() -> str:
    """The path prefix every operation of the spec shares, such as `/api`."""
    first_segments = {str(path).split("/")[1] for path in load_spec()["paths"]}
    if len(first_segments) != 1:
        raise SpecError(f"the spec's paths do not share one prefix: {sorted(first_segments)}")
    return "/" + first_segments.pop()


def default_server() -> str:
    """The spec's first server URL (production), without a trailing slash."""
    return str(load_spec()["servers"][0]["url"]).rstrip("/")


@functools.cache
def response_media_types(operation_id: str, status: str = "200") -> frozenset[str]:
    """The media types the spec declares for an operation's response (`video/mp4` for the download's 200)."""
    for item in load_spec()["paths"].values():
        for operation in item.values():
            if isinstance(operation, Mapping) and operation.get("operationId") == operation_id:
                return frozenset(str(media).lower() for media in operation["responses"][status]["content"])
    raise KeyError(f"the spec has no operation {operation_id!r}")


@functools.cache
def documented_error_statuses() -> Mapping[str, int]:
    """Every error message the spec's examples give (case-folded), mapped to the one status it comes with.

    A message the examples give with several statuses is left out.
    """
    spec = load_spec()
    shared = spec.get("components", {}).get("responses", {})
    found: dict[str, set[int]] = {}
    for item in spec.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, Mapping):
                continue
            for code, response in operation.get("responses", {}).items():
                if not str(code).isdigit() or int(code) < 400:
                    continue
                if "$ref" in response:
                    response = shared.get(str(response["$ref"]).rsplit("/", 1)[-1], {})
                for media in response.get("content", {}).values():
                    for example in media.get("examples", {}).values():
                        value = example.get("value")
                        if isinstance(value, Mapping) and isinstance(value.get("error"), str):
                            found.setdefault(value["error"].casefold(), set()).add(int(code))
    return {message: codes.pop() for message, codes in found.items() if len(codes) == 1}


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


_PRICING_KEY = "x-pricing"


@dataclass(frozen=True)
class Pricing:
    """The spec's `x-pricing`: what a create is estimated to cost, and the usual size of a script.

    One credit per started `seconds_per_credit` of speech (at least one), times the mode's multiplier; a script's
    speech lasts its words at `words_per_minute`, at least `min_speech_seconds`. Estimates resting on `assumptions`
    (the ids of the extension's `x-assumption` entries): Miraflow publishes no prices and the API reports no balance.
    The simulator charges by the same rule.
    """

    unit: str
    words_per_minute: float
    min_speech_seconds: float
    seconds_per_credit: float
    mode_multiplier: Mapping[str, int]
    usual_script_characters: int
    confirm_script_characters: int
    assumptions: tuple[str, ...]

    def speech_seconds(self, text: str) -> float:
        """How long `text` takes to speak: its words at `words_per_minute`, at least `min_speech_seconds`."""
        return max(self.min_speech_seconds, len(text.split()) * 60.0 / self.words_per_minute)

    def credits(self, mode: str, speech_seconds: float) -> int:
        """The credits a video of `speech_seconds` in `mode` costs. Raises `KeyError` for a mode the spec lacks."""
        multiplier = self.mode_multiplier[mode]
        return max(1, math.ceil(speech_seconds / self.seconds_per_credit)) * multiplier

    def script_credits(self, mode: str, text: str) -> int:
        """The credits a create of the script `text` in `mode` costs."""
        return self.credits(mode, self.speech_seconds(text))


@functools.cache
def pricing() -> Pricing:
    """The pricing facts of the packaged spec, checked against its generation modes."""
    return parse_pricing(load_spec())


def parse_pricing(document: Mapping[str, Any]) -> Pricing:
    """Build the `Pricing` of an OpenAPI document, raising `SpecError` if `x-pricing` is missing or inconsistent."""
    try:
        raw = document[_PRICING_KEY]
    except KeyError:
        raise SpecError(f"the spec has no {_PRICING_KEY} extension") from None
    marks = raw.get("x-assumption", ())
    assumptions = tuple(str(mark["id"]) for mark in ([marks] if isinstance(marks, Mapping) else marks))
    script = raw["scriptCharacters"]
    result = Pricing(
        unit=str(raw.get("unit", "credits")),
        words_per_minute=float(raw["wordsPerMinute"]),
        min_speech_seconds=float(raw["minSpeechSeconds"]),
        seconds_per_credit=float(raw["secondsPerCredit"]),
        mode_multiplier={str(mode): int(factor) for mode, factor in raw["modeMultiplier"].items()},
        usual_script_characters=int(script["usual"]),
        confirm_script_characters=int(script["confirmAbove"]),
        assumptions=assumptions,
    )
    problems: list[str] = []
    modes = set(parse_lifecycle(document).modes)
    if set(result.mode_multiplier) != modes:
        problems.append(f"modeMultiplier prices {sorted(result.mode_multiplier)}, the modes are {sorted(modes)}")
    if any(factor < 1 for factor in result.mode_multiplier.values()):
        problems.append("a mode multiplier is below 1")
    if min(result.words_per_minute, result.seconds_per_credit) <= 0 or result.min_speech_seconds < 0:
        problems.append("wordsPerMinute and secondsPerCredit must be positive, minSpeechSeconds not negative")
    if not 0 < result.usual_script_characters < result.confirm_script_characters:
        problems.append("scriptCharacters needs 0 < usual < confirmAbove")
    if not assumptions:
        problems.append("no Miraflow source states a price: x-pricing must carry its x-assumption")
    if problems:
        raise SpecError(f"{_PRICING_KEY} is inconsistent: " + "; ".join(problems))
    return result


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


@dataclass(frozen=True)
class Fact:
    """One thing the contract says about the API, and what it rests on.

    `kind` is "documented" (the guide or Miraflow's docs state it: `x-documented-facts`) or "assumption" (an
    `x-assumption` node: a third-party page or our inference). `where` is the JSON pointer of the node it qualifies.
    """

    id: str
    kind: Literal["documented", "assumption"]
    source: str
    statement: str
    where: str
    checked_by: str


@dataclass(frozen=True)
class BusinessErrors:
    """Where a well-formed create's business failure arrives (`x-business-errors` on createVideo).

    `default` is the placement the spec holds most likely, "2xx" (a 200 carrying the Error body) or "4xx";
    `statuses` maps each known message to its status when the placement is 4xx.
    """

    default: Literal["2xx", "4xx"]
    statuses: Mapping[str, int]

    def status_for(self, message: str) -> int | None:
        """The 4xx status of a business failure whose message starts with a known one, else None (not business)."""
        folded = message.casefold()
        return next((code for known, code in self.statuses.items() if folded.startswith(known.casefold())), None)


@functools.cache
def facts() -> tuple[Fact, ...]:
    """Every documented fact, then every assumption of the packaged spec, in document order."""
    return parse_facts(load_spec())


@functools.cache
def business_errors() -> BusinessErrors:
    """Where the packaged spec says a create's business failures arrive, and their 4xx statuses."""
    return parse_business_errors(load_spec())


def parse_facts(document: Mapping[str, Any]) -> tuple[Fact, ...]:
    """The facts of an OpenAPI document; `SpecError` for a malformed entry or an id used twice."""
    found: list[Fact] = []
    for index, entry in enumerate(document.get(_DOCUMENTED_KEY, ())):
        found.append(_fact(entry, "documented", f"/{_DOCUMENTED_KEY}/{index}", DOCUMENTED_SOURCES, "statement"))
    for pointer, entry in _assumption_nodes(document, ""):
        found.append(_fact(entry, "assumption", pointer, ASSUMPTION_SOURCES, "note"))
    ids = [fact.id for fact in found]
    if duplicates := sorted({name for name in ids if ids.count(name) > 1}):
        raise SpecError(f"fact ids used more than once: {', '.join(duplicates)}")
    return tuple(found)


def parse_business_errors(document: Mapping[str, Any]) -> BusinessErrors:
    """The `x-business-errors` of the document's createVideo operation."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, Mapping) and operation.get("operationId") == "createVideo":
                raw = operation.get(_BUSINESS_KEY)
                if not isinstance(raw, Mapping) or raw.get("default") not in BUSINESS_PLACEMENTS:
                    raise SpecError(f"createVideo needs {_BUSINESS_KEY} with a default of 2xx or 4xx")
                statuses = {str(message): int(code) for message, code in raw.get("messages", {}).items()}
                return BusinessErrors(default=raw["default"], statuses=statuses)
    raise SpecError("the spec has no createVideo operation")


def _assumption_nodes(node: Any, pointer: str) -> list[tuple[str, Mapping[str, Any]]]:
    """(JSON pointer of the qualified node, entry) for every x-assumption entry under `node`."""
    out: list[tuple[str, Mapping[str, Any]]] = []
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == _ASSUMPTION_KEY:
                out += [(pointer or "/", entry) for entry in (value if isinstance(value, list) else [value])]
            else:
                out += _assumption_nodes(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _assumption_nodes(value, f"{pointer}/{index}")
    return out


def _fact(
    entry: Any, kind: Literal["documented", "assumption"], where: str, sources: tuple[str, ...], text: str
) -> Fact:
    if not isinstance(entry, Mapping):
        raise SpecError(f"{where}: a fact must be a mapping, not {entry!r}")
    missing = [key for key in ("id", "source", text, "checkedBy") if not entry.get(key)]
    if missing:
        raise SpecError(f"{where}: fact {entry.get('id', '?')} lacks {', '.join(missing)}")
    if entry["source"] not in sources:
        raise SpecError(f"{where}: source {entry['source']!r} is not one of {', '.join(sources)}")
    return Fact(
        id=str(entry["id"]),
        kind=kind,
        source=str(entry["source"]),
        statement=" ".join(str(entry[text]).split()),
        where=where,
        checked_by=str(entry["checkedBy"]),
    )
