"""Scripted outcomes per job: `POST /__admin/scenarios` rules matched against each create.

A rule names which creates it applies to (a name pattern, an avatar, a tenant, a generation mode, and how many of
the next matching creates) and what happens to the jobs they start: the terminal state they reach and at what
progress, with what message, how long they render, and a fault on their own status, detail or download requests.
The first rule (in the order added) that matches a create decides; a rule with a `count` is used up after that many
jobs. Rules are test-time state: `POST /__admin/reset` clears them and `--state` does not keep them.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from miraflow.spec import lifecycle
from miraflow_mock.simulator.faults import Fault, FaultError, FaultStore
from miraflow_mock.simulator.jobs import JobScript

__all__ = ["FAULT_TARGETS", "Rule", "ScenarioBook", "ScenarioError"]

# A rule's fault targets the requests about its own job: `on` names one of these operations, and the path parameter
# that must carry the job's (or its video's) id. The operationIds are the spec's.
FAULT_TARGETS: dict[str, tuple[str, str]] = {
    "status": ("getJobStatus", "jobId"),
    "video": ("getVideo", "videoId"),
    "download": ("downloadVideo", "videoId"),
}
_MATCH_FIELDS = ("name", "nameRegex", "avatarId", "tenant", "mode")
_RULE_FIELDS = ("match", "count", "outcome", "message", "atProgress", "durationSeconds", "fault")


class ScenarioError(ValueError):
    """A rule that cannot be applied (answered as a 400 with this message)."""


@dataclass
class Rule:
    """One scenario rule: what it matches, what it decides, and how many more creates it applies to."""

    id: str
    match: dict[str, str]
    script: JobScript
    remaining: int | None  # None: every matching create, until cleared
    fault: dict[str, Any] | None
    matched: int = 0
    jobs: list[str] = field(default_factory=list)
    _name_regex: re.Pattern[str] | None = None

    def matches(self, *, tenant_name: str, avatar_id: str, name: str, mode: str) -> bool:
        """Tell whether a create with these attributes is one this rule decides."""
        want = self.match
        if "tenant" in want and want["tenant"] != tenant_name:
            return False
        if "avatarId" in want and want["avatarId"] != avatar_id:
            return False
        if "mode" in want and want["mode"] != mode:
            return False
        if "name" in want and not fnmatch.fnmatchcase(name, want["name"]):
            return False
        return self._name_regex is None or self._name_regex.search(name) is not None

    def to_json(self) -> dict[str, Any]:
        """The rule as the admin API shows it, with how many jobs it has decided so far."""
        body: dict[str, Any] = {"id": self.id, "match": dict(self.match), "count": self.remaining}
        script = self.script
        for key, value in (
            ("outcome", script.outcome),
            ("message", script.message),
            ("atProgress", script.at_progress),
            ("durationSeconds", script.duration),
            ("fault", self.fault),
        ):
            if value is not None:
                body[key] = value
        body["matched"] = self.matched
        body["jobIds"] = list(self.jobs)
        return body


class ScenarioBook:
    """The rules in force, and the faults they have bound to particular jobs."""

    def __init__(self) -> None:
        self._rules: list[Rule] = []
        self._ids = itertools.count(1)
        # (operationId, jobId or videoId) → faults waiting for that job's requests, oldest first
        self._faults: dict[tuple[str, str], list[Fault]] = {}

    @property
    def has_faults(self) -> bool:
        """Whether any job-bound fault is pending (the request path checks this first: one attribute read)."""
        return bool(self._faults)

    def add(self, body: Mapping[str, Any], tenants: Mapping[str, str]) -> Rule:
        """Add a rule from its admin-API description. `tenants` maps each key and each name to the tenant's name."""
        rule = _parse_rule(str(next(self._ids)), body, tenants)
        self._rules.append(rule)
        return rule

    def rules(self) -> list[Rule]:
        """The rules still in force, in the order they were added."""
        return list(self._rules)

    def remove(self, rule_id: str) -> bool:
        """Remove one rule; False if there is no such rule."""
        for rule in self._rules:
            if rule.id == rule_id:
                self._rules.remove(rule)
                return True
        return False

    def clear(self) -> None:
        """Remove every rule and every fault bound to a job."""
        self._rules.clear()
        self._faults.clear()

    def match(self, *, tenant_name: str, avatar_id: str, name: str, mode: str) -> Rule | None:
        """The rule that decides a create with these attributes (not used up until `applied`)."""
        for rule in self._rules:
            if rule.matches(tenant_name=tenant_name, avatar_id=avatar_id, name=name, mode=mode):
                return rule
        return None

    def applied(self, rule: Rule, job_id: str, video_id: str) -> None:
        """Note that `rule` decided the job `job_id`: count it, and bind its fault to the job's requests."""
        rule.matched += 1
        rule.jobs.append(job_id)
        if rule.remaining is not None:
            rule.remaining -= 1
            if rule.remaining <= 0:
                self._rules.remove(rule)
        if rule.fault is not None:
            operation_id, parameter = FAULT_TARGETS[rule.fault["on"]]
            target = job_id if parameter == "jobId" else video_id
            self._faults.setdefault((operation_id, target), []).append(_build_fault(rule.fault))

    def take_fault(self, operation_id: str, params: Mapping[str, str]) -> Fault | None:
        """The fault bound to this request's job, if one is pending (used up as it is taken)."""
        for parameter in ("jobId", "videoId"):
            value = params.get(parameter)
            if value is None:
                continue
            pending = self._faults.get((operation_id, value))
            if pending:
                fault = pending[0]
                fault.remaining -= 1
                if fault.remaining <= 0:
                    pending.pop(0)
                    if not pending:
                        del self._faults[(operation_id, value)]
                return fault
        return None


def _parse_rule(rule_id: str, body: Mapping[str, Any], tenants: Mapping[str, str]) -> Rule:
    spec = lifecycle()
    if unknown := sorted(set(body) - set(_RULE_FIELDS)):
        raise ScenarioError(f"unknown field(s) {', '.join(unknown)}; a rule has {', '.join(_RULE_FIELDS)}")
    match = body.get("match", {})
    if not isinstance(match, Mapping):
        raise ScenarioError("match must be an object: name, nameRegex, avatarId, tenant and/or mode")
    if unknown := sorted(set(match) - set(_MATCH_FIELDS)):
        raise ScenarioError(f"unknown match field(s) {', '.join(unknown)}; match by {', '.join(_MATCH_FIELDS)}")
    for key, value in match.items():
        if not isinstance(value, str) or not value:
            raise ScenarioError(f"match.{key} must be a non-empty string")
    match = dict(match)
    name_regex = None
    if "nameRegex" in match:
        try:
            name_regex = re.compile(match["nameRegex"])
        except re.error as exc:
            raise ScenarioError(f"match.nameRegex is not a regular expression: {exc}") from None
    if "tenant" in match:
        if match["tenant"] not in tenants:
            raise ScenarioError(f"match.tenant: no tenant has the name or key {match['tenant']!r}")
        match["tenant"] = tenants[match["tenant"]]  # kept by name: the admin API never shows keys
    if "mode" in match and match["mode"] not in spec.modes:
        raise ScenarioError(f"match.mode must be one of {', '.join(spec.modes)}")
    count = body.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ScenarioError("count must be a positive whole number (leave it out: every matching create)")
    outcome = body.get("outcome")
    if outcome is not None and outcome not in spec.terminal_states:
        raise ScenarioError(f"outcome must be one of {', '.join(sorted(spec.terminal_states))}")
    failing = outcome in spec.failure_states
    message = body.get("message")
    if message is not None and (not isinstance(message, str) or not failing):
        raise ScenarioError("message is a string, for a failure outcome")
    at_progress = body.get("atProgress")
    if at_progress is not None:
        if not failing:
            raise ScenarioError("atProgress needs a failure outcome: " + ", ".join(sorted(spec.failure_states)))
        if isinstance(at_progress, bool) or not isinstance(at_progress, int | float) or not 0 <= at_progress < 100:
            raise ScenarioError("atProgress is a percentage, 0 or more and below 100")
    duration = body.get("durationSeconds")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int | float) or duration <= 0):
        raise ScenarioError("durationSeconds must be a positive number of seconds")
    fault = body.get("fault")
    if fault is not None:
        if not isinstance(fault, Mapping) or fault.get("on") not in FAULT_TARGETS:
            raise ScenarioError(f"fault must be an object whose `on` is one of {', '.join(FAULT_TARGETS)}")
        if "operationId" in fault or "method" in fault or "path" in fault:
            raise ScenarioError("a rule's fault names its request with `on`, not operationId, method or path")
        fault = dict(fault)
        _build_fault(fault)  # refuse a bad description now, not at the job's first request
    if outcome is None and duration is None and fault is None:
        raise ScenarioError("a rule needs an effect: outcome, durationSeconds or fault")
    return Rule(
        id=rule_id,
        match=match,
        script=JobScript(
            outcome=outcome,
            message=message,
            at_progress=float(at_progress) if at_progress is not None else None,
            duration=float(duration) if duration is not None else None,
        ),
        remaining=count,
        fault=fault,
        _name_regex=name_regex,
    )


def _build_fault(description: Mapping[str, Any]) -> Fault:
    """A fault from a rule's description, validated by the same rules as `POST /__admin/faults`."""
    operation_id = FAULT_TARGETS[description["on"]][0]
    fields = {key: value for key, value in description.items() if key != "on"}
    try:
        return FaultStore({("", ""): operation_id}).add({**fields, "operationId": operation_id})
    except FaultError as exc:
        raise ScenarioError(f"fault: {exc}") from None
