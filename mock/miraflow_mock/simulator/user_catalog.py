"""Your own catalog: the avatars and voices your app is configured with, from `--catalog FILE` or the admin API.

A catalog file (YAML or JSON) holds avatars and voices every tenant sees, and per-tenant ones:

```yaml
stock: true            # keep the stock avatars and voices beside these (default: true)
avatars:
  - {id: my-avatar-id, name: Ava, voiceId: my-voice-id, isPhoto: true}
voices:
  - {id: my-voice-id, name: Studio voice}
tenants:
  - key: sk-my-app     # a --tenant key, or a new tenant when credits is given
    name: my-app
    credits: 500
    avatars: [...]
    voices: [...]
```

Each avatar and voice is validated against the spec's own `Avatar` and `Voice` schemas (an avatar's `createdAt` may
be left out: the time it was loaded is used) and served exactly as given.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from miraflow.spec import load_spec
from miraflow_mock.simulator.catalog import AVATARS, VOICES, StockAvatar
from miraflow_mock.simulator.config import TenantSpec

__all__ = [
    "Catalog",
    "CatalogError",
    "CatalogSpec",
    "TenantCatalog",
    "load_catalog_file",
    "merge_tenants",
    "parse_avatars",
    "parse_catalog",
    "parse_voices",
]

_SPEC_URI = "urn:miraflow:openapi"
_TOP_FIELDS = ("stock", "avatars", "voices", "tenants")
_TENANT_FIELDS = ("key", "name", "credits", "avatars", "voices")


class CatalogError(ValueError):
    """A catalog (file or admin body) that breaks the spec's schemas; the message says where and how."""


@dataclass(frozen=True)
class TenantCatalog:
    """One tenant's own avatars and voices (and, for a tenant the file adds, its name and credits)."""

    key: str
    name: str | None
    credits: int | None
    avatars: tuple[dict[str, Any], ...]
    voices: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class CatalogSpec:
    """A parsed catalog file."""

    stock: bool = True
    avatars: tuple[dict[str, Any], ...] = ()
    voices: tuple[dict[str, Any], ...] = ()
    tenants: tuple[TenantCatalog, ...] = ()
    source: str = ""


class _Schemas:
    """Validators for the spec's `Avatar` and `Voice` schemas."""

    def __init__(self) -> None:
        document = load_spec()
        registry: Registry[Any] = Registry().with_resource(
            _SPEC_URI, Resource.from_contents(dict(document), default_specification=DRAFT202012)
        )
        checker = FormatChecker(formats=())
        checker.checks("date-time", raises=ValueError)(_is_date_time)
        self.avatar = Draft202012Validator(
            {"$ref": f"{_SPEC_URI}#/components/schemas/Avatar"}, registry=registry, format_checker=checker
        )
        self.voice = Draft202012Validator(
            {"$ref": f"{_SPEC_URI}#/components/schemas/Voice"}, registry=registry, format_checker=checker
        )


_schemas: _Schemas | None = None


def _validators() -> _Schemas:
    global _schemas
    if _schemas is None:
        _schemas = _Schemas()
    return _schemas


def _is_date_time(value: object) -> bool:
    if isinstance(value, str):
        datetime.datetime.fromisoformat(value)
    return True


def _now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_avatars(items: Any, where: str) -> tuple[dict[str, Any], ...]:
    """Validate a list of avatars against the spec's `Avatar` schema; `createdAt` defaults to now."""
    if not isinstance(items, list):
        raise CatalogError(f"{where} must be a list of avatars")
    result = []
    for index, item in enumerate(items):
        if isinstance(item, Mapping) and "createdAt" not in item:
            item = {**item, "createdAt": _now_iso()}
        result.append(_check(_validators().avatar, item, f"{where}[{index}]"))
    return _unique(result, where)


def parse_voices(items: Any, where: str) -> tuple[dict[str, Any], ...]:
    """Validate a list of voices against the spec's `Voice` schema."""
    if not isinstance(items, list):
        raise CatalogError(f"{where} must be a list of voices")
    return _unique([_check(_validators().voice, item, f"{where}[{index}]") for index, item in enumerate(items)], where)


def _check(validator: Draft202012Validator, item: Any, where: str) -> dict[str, Any]:
    errors = sorted(validator.iter_errors(item), key=lambda error: (error.validator != "required", error.path))
    if errors:
        error = errors[0]
        inner = ".".join(str(part) for part in error.absolute_path)
        place = f"{where}.{inner}" if inner else where
        if error.validator == "required":
            raise CatalogError(f"{place}: {error.message.split(' is a required')[0]} is required")
        if error.validator == "format":
            raise CatalogError(f"{place} must be a date-time such as 2025-07-28T07:25:02.489Z")
        raise CatalogError(f"{place}: {error.message}")
    if not item.get("id"):
        raise CatalogError(f"{where}.id must not be empty")
    return dict(item)


def _unique(items: list[dict[str, Any]], where: str) -> tuple[dict[str, Any], ...]:
    seen: set[str] = set()
    for item in items:
        if item["id"] in seen:
            raise CatalogError(f"{where}: the id {item['id']!r} appears twice")
        seen.add(item["id"])
    return tuple(items)


def parse_catalog(document: Any, source: str = "catalog") -> CatalogSpec:
    """Validate a catalog document (parsed YAML or JSON)."""
    if not isinstance(document, Mapping):
        raise CatalogError(f"{source}: a catalog is a mapping with {', '.join(_TOP_FIELDS)}")
    if unknown := sorted(set(document) - set(_TOP_FIELDS)):
        raise CatalogError(f"{source}: unknown field(s) {', '.join(unknown)}; a catalog has {', '.join(_TOP_FIELDS)}")
    stock = document.get("stock", True)
    if not isinstance(stock, bool):
        raise CatalogError(f"{source}: stock is true or false")
    tenants_raw = document.get("tenants", [])
    if not isinstance(tenants_raw, list):
        raise CatalogError(f"{source}: tenants must be a list")
    tenants = []
    keys: set[str] = set()
    for index, entry in enumerate(tenants_raw):
        where = f"tenants[{index}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("key"), str) or not entry["key"]:
            raise CatalogError(f"{source}: {where} needs a key (the tenant's API key)")
        if unknown := sorted(set(entry) - set(_TENANT_FIELDS)):
            raise CatalogError(f"{source}: {where} has unknown field(s) {', '.join(unknown)}")
        if entry["key"] in keys:
            raise CatalogError(f"{source}: {where} repeats a tenant key")
        keys.add(entry["key"])
        credits = entry.get("credits")
        if credits is not None and (isinstance(credits, bool) or not isinstance(credits, int) or credits < 0):
            raise CatalogError(f"{source}: {where}.credits must be a whole number, 0 or more")
        name = entry.get("name")
        if name is not None and (not isinstance(name, str) or not name):
            raise CatalogError(f"{source}: {where}.name must be a non-empty string")
        try:
            tenants.append(
                TenantCatalog(
                    key=entry["key"],
                    name=name,
                    credits=credits,
                    avatars=parse_avatars(entry.get("avatars", []), f"{where}.avatars"),
                    voices=parse_voices(entry.get("voices", []), f"{where}.voices"),
                )
            )
        except CatalogError as exc:
            raise CatalogError(f"{source}: {exc}") from None
    try:
        avatars = parse_avatars(document.get("avatars", []), "avatars")
        voices = parse_voices(document.get("voices", []), "voices")
    except CatalogError as exc:
        raise CatalogError(f"{source}: {exc}") from None
    return CatalogSpec(stock=stock, avatars=avatars, voices=voices, tenants=tuple(tenants), source=source)


def load_catalog_file(path: Path) -> CatalogSpec:
    """Read and validate a catalog file: JSON if it ends in .json, else YAML (which also reads JSON)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        document = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
        raise CatalogError(f"{path} is not valid {kind}: {_one_line(exc)}") from None
    return parse_catalog(document, str(path))


def _one_line(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    if isinstance(exc, yaml.MarkedYAMLError) and mark is not None:
        return f"{exc.problem} (line {mark.line + 1}, column {mark.column + 1})"
    return " ".join(str(exc).split())


def _avatar(document: Mapping[str, Any]) -> StockAvatar:
    return StockAvatar(
        id=document["id"],
        name=document["name"],
        created_at=document["createdAt"],
        voice_id=document["voiceId"],
        is_photo=document["isPhoto"],
    )


@dataclass
class _Shelf:
    """Avatars and voices (as served) by id, in the order they were added."""

    avatars: dict[str, dict[str, Any]] = field(default_factory=dict)
    voices: dict[str, dict[str, Any]] = field(default_factory=dict)


class Catalog:
    """The avatars and voices each tenant sees: stock (unless the file says not), the file's, and the admin API's."""

    def __init__(self, spec: CatalogSpec | None) -> None:
        spec = spec or CatalogSpec()
        self._base = _Shelf()
        if spec.stock:
            self._base.avatars.update((avatar.id, avatar.to_json()) for avatar in AVATARS)
            self._base.voices.update((voice.id, voice.to_json()) for voice in VOICES)
        self._base.avatars.update((avatar["id"], avatar) for avatar in spec.avatars)
        self._base.voices.update((voice["id"], voice) for voice in spec.voices)
        self._tenant_base: dict[str, _Shelf] = {}
        for tenant in spec.tenants:
            shelf = self._tenant_base[tenant.key] = _Shelf()
            shelf.avatars.update((avatar["id"], avatar) for avatar in tenant.avatars)
            shelf.voices.update((voice["id"], voice) for voice in tenant.voices)
        self._added = _Shelf()  # through the admin API, for every tenant
        self._tenant_added: dict[str, _Shelf] = {}
        self._known: dict[str, StockAvatar] = {}  # every avatar ever in the catalog: jobs outlive removals
        self._bodies: dict[str | None, tuple[bytes, bytes]] = {}
        self._refresh()

    def _refresh(self) -> None:
        self._bodies.clear()
        for shelf in (self._base, self._added, *self._tenant_base.values(), *self._tenant_added.values()):
            self._known.update((key, _avatar(value)) for key, value in shelf.avatars.items())

    def _shelves(self, tenant: str | None) -> list[_Shelf]:
        shelves = [self._base, self._added]
        if tenant is not None:
            shelves += [shelf for shelf in (self._tenant_base.get(tenant), self._tenant_added.get(tenant)) if shelf]
        return shelves

    def avatars(self, tenant: str | None = None) -> list[dict[str, Any]]:
        """The avatars `tenant` (a key; None: any tenant) sees, as served; a later one with the same id wins."""
        merged: dict[str, dict[str, Any]] = {}
        for shelf in self._shelves(tenant):
            merged.update(shelf.avatars)
        return list(merged.values())

    def voices(self, tenant: str | None = None) -> list[dict[str, Any]]:
        """The voices `tenant` (a key; None: any tenant) sees, as served."""
        merged: dict[str, dict[str, Any]] = {}
        for shelf in self._shelves(tenant):
            merged.update(shelf.voices)
        return list(merged.values())

    def avatar(self, tenant: str | None, avatar_id: str) -> StockAvatar | None:
        """An avatar `tenant` sees, or None."""
        for shelf in reversed(self._shelves(tenant)):
            if avatar_id in shelf.avatars:  # two tenants may each have their own avatar of the same id
                return _avatar(shelf.avatars[avatar_id])
        return None

    def has_voice(self, tenant: str | None, voice_id: str) -> bool:
        """Tell whether `tenant` sees the voice."""
        return any(voice_id in shelf.voices for shelf in self._shelves(tenant))

    def known_avatar(self, avatar_id: str) -> StockAvatar:
        """Any avatar that was ever in the catalog (a job's avatar may have been removed since)."""
        return self._known[avatar_id]

    def bodies(self, tenant: str, encode: Any) -> tuple[bytes, bytes]:
        """The encoded `GET /api/avatars` and `GET /api/voices` bodies for `tenant`, cached until a change."""
        cache_key = tenant if tenant in self._tenant_base or tenant in self._tenant_added else None
        found = self._bodies.get(cache_key)
        if found is None:
            found = self._bodies[cache_key] = (
                encode({"avatars": self.avatars(cache_key)}),
                encode({"voices": self.voices(cache_key)}),
            )
        return found

    def add(self, tenant: str | None, avatars: Iterable[dict[str, Any]], voices: Iterable[dict[str, Any]]) -> None:
        """Add (or replace, by id) avatars and voices for every tenant, or only for `tenant` (a key)."""
        shelf = self._added if tenant is None else self._tenant_added.setdefault(tenant, _Shelf())
        shelf.avatars.update((avatar["id"], avatar) for avatar in avatars)
        shelf.voices.update((voice["id"], voice) for voice in voices)
        self._refresh()

    def clear_added(self, *, avatars: bool = True, voices: bool = True) -> None:
        """Forget the avatars and/or voices the admin API added: back to the stock and the file's catalog."""
        for shelf in (self._added, *self._tenant_added.values()):
            if avatars:
                shelf.avatars.clear()
            if voices:
                shelf.voices.clear()
        self._refresh()

    def added_record(self) -> dict[str, Any]:
        """What the admin API added, JSON-able (for `--state`)."""
        return {
            "avatars": list(self._added.avatars.values()),
            "voices": list(self._added.voices.values()),
            "tenants": {
                key: {"avatars": list(shelf.avatars.values()), "voices": list(shelf.voices.values())}
                for key, shelf in self._tenant_added.items()
            },
        }

    def restore(self, record: Mapping[str, Any]) -> None:
        """Re-add what `added_record()` saved."""
        self.add(None, record.get("avatars", []), record.get("voices", []))
        for key, shelf in record.get("tenants", {}).items():
            self.add(key, shelf.get("avatars", []), shelf.get("voices", []))


def merge_tenants(configured: tuple[TenantSpec, ...], spec: CatalogSpec) -> tuple[TenantSpec, ...]:
    """The tenants to run with: the configured ones (renamed or re-credited by the file), then the file's new ones."""
    by_key = {tenant.key: tenant for tenant in configured}
    for index, entry in enumerate(spec.tenants):
        known = by_key.get(entry.key)
        if known is None and entry.credits is None:
            raise CatalogError(
                f"{spec.source}: tenants[{index}] names a key that is not a --tenant; give it credits to add it"
            )
        by_key[entry.key] = TenantSpec(
            key=entry.key,
            name=entry.name or (known.name if known else f"tenant-{len(by_key) + 1}"),
            credits=entry.credits if entry.credits is not None else known.credits if known else 0,
        )
    return tuple(by_key.values())
