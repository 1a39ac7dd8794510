"""When each demo incident happened and how far it got: status, severity, type and milestones.

Planned for all incidents first (a few floats each), so that merged incidents can be placed
inside the window of the incident they were merged into, and numbers follow declaration order.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from firehouse.incidents.models import Kind, Status

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
# Median minutes from declaration to acknowledgement and from there to mitigation, by rank.
ACK_MEDIAN = {1: 3.0, 2: 8.0, 3: 25.0, 4: 90.0}
MITIGATE_MEDIAN = {1: 45.0, 2: 70.0, 3: 150.0, 4: 300.0}
SEVERITY_WEIGHTS = {1: 0.05, 2: 0.15, 3: 0.40, 4: 0.40}
TYPE_WEIGHTS = {"operational": 0.45, "performance": 0.2, "deployment": 0.25, "security": 0.1}
DRILL_SHARE = 0.03
T = TypeVar("T")


@dataclass(frozen=True)
class SeverityInfo:
    id: int
    key: str
    name: str
    rank: int
    checklist_keys: tuple[str, ...]
    postmortem_owner: bool


@dataclass(frozen=True)
class TypeInfo:
    id: int
    key: str
    restricted: bool


@dataclass(slots=True)
class Plan:
    status: Status
    declared_at: datetime
    severity: SeverityInfo
    type: TypeInfo
    kind: Kind = Kind.real
    detected_at: datetime | None = None
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    canceled_at: datetime | None = None
    merged_at: datetime | None = None
    merge_target: Plan | None = None
    # a reopened incident was first mitigated at `first_mitigated_at`, then reopened
    first_mitigated_at: datetime | None = None
    reopened_at: datetime | None = None
    service_index: int = 0
    number: int = 0
    id: int = 0
    # set by the story of the incident this one was merged into, which is told first
    title: str = ""
    merged_by: int | None = None
    merged_sources: list[Plan] = field(default_factory=list)

    @property
    def reference(self) -> str:
        return f"INC-{self.number}"

    def ends_at(self, now: datetime) -> datetime:
        """The end of the incident's life so far: nothing happens to it after this."""
        return self.closed_at or self.canceled_at or self.merged_at or now

    def active_until(self, now: datetime) -> datetime:
        """When hands-on work stopped (resolution, cancellation, merge, or still going)."""
        return self.resolved_at or self.canceled_at or self.merged_at or now


def status_counts(total: int) -> dict[Status, int]:
    """Mostly closed; a handful open in each open status; a few canceled and merged."""
    scale = min(10, max(1, total // 150))
    counts = {
        Status.triggered: scale,
        Status.acknowledged: scale,
        Status.mitigated: scale,
        Status.resolved: 2 * scale,
        Status.canceled: max(1, round(total * 0.03)),
        Status.merged: max(1, round(total * 0.02)),
    }
    counts[Status.closed] = total - sum(counts.values())
    if counts[Status.closed] < 1:
        raise ValueError(f"too few incidents ({total}) for every status")
    return counts


def _minutes(rng: random.Random, median: float, spread: float) -> float:
    """Seconds, log-normally distributed around `median` minutes (long tail, never <= 0)."""
    return max(20.0, median * MINUTE * math.exp(rng.gauss(0.0, spread)))


def _pick_weighted(rng: random.Random, items: list[T], weights: list[float]) -> T:
    return rng.choices(items, weights=weights, k=1)[0]


def _busy_hours_time(rng: random.Random, start: float, end: float) -> float:
    """A time in [start, end] (epoch seconds), more likely in working hours and on weekdays."""
    while True:
        t = rng.uniform(start, end)
        hour = (t % DAY) / HOUR
        weekday = int((t // DAY + 3) % 7)  # 1970-01-01 was a Thursday; 0 is Monday
        weight = (1.0 if 7 <= hour < 19 else 0.45) * (1.0 if weekday < 5 else 0.55)
        if rng.random() < weight:
            return t


class Planner:
    def __init__(
        self,
        rng: random.Random,
        *,
        now: datetime,
        days: int,
        severities: list[SeverityInfo],
        types: list[TypeInfo],
        service_count: int,
    ) -> None:
        self.rng = rng
        self.now = now
        self.window = days * DAY
        self.severities = sorted(severities, key=lambda s: s.rank)
        self.severity_weights = [
            SEVERITY_WEIGHTS.get(i + 1, 0.1) for i in range(len(self.severities))
        ]
        self.types = types
        self.type_weights = [TYPE_WEIGHTS.get(t.key, 0.05) for t in types]
        self.service_count = service_count

    def _at(self, seconds_ago: float) -> datetime:
        return self.now - timedelta(seconds=min(seconds_ago, self.window * 0.98))

    def plan(self, total: int) -> list[Plan]:
        plans: list[Plan] = []
        merged = 0
        for status, count in status_counts(total).items():
            for _ in range(count):
                if status == Status.merged:
                    merged += 1
                    continue
                plans.append(self._one(status))
        targets = [p for p in plans if p.status != Status.canceled]
        for _ in range(merged):
            source = self._merged_into(self.rng.choice(targets))
            assert source.merge_target is not None
            source.merge_target.merged_sources.append(source)
            plans.append(source)
        plans.sort(key=lambda p: p.declared_at)
        return plans

    def _one(self, status: Status) -> Plan:
        rng = self.rng
        plan = Plan(
            status=status,
            declared_at=self.now,
            severity=_pick_weighted(rng, self.severities, self.severity_weights),
            type=_pick_weighted(rng, self.types, self.type_weights),
            kind=Kind.drill if rng.random() < DRILL_SHARE else Kind.real,
            service_index=rng.randrange(self.service_count),
        )
        if status in (Status.closed, Status.canceled):
            start = self.now.timestamp() - self.window
            end = self.now.timestamp() - min(2 * HOUR, self.window / 4)
            plan.declared_at = datetime.fromtimestamp(
                _busy_hours_time(rng, start, end), self.now.tzinfo
            )
        else:
            ago = {
                Status.triggered: (3 * MINUTE, 40 * MINUTE),
                Status.acknowledged: (20 * MINUTE, 8 * HOUR),
                Status.mitigated: (HOUR, 20 * HOUR),
                Status.resolved: (4 * HOUR, 4 * DAY),
            }[status]
            plan.declared_at = self._at(rng.uniform(*ago))
        if rng.random() < 0.75:
            plan.detected_at = plan.declared_at - timedelta(seconds=_minutes(rng, 6, 0.8))
        if status == Status.closed:
            self._closed(plan)
        elif status == Status.canceled:
            if rng.random() < 0.4:
                plan.acknowledged_at = plan.declared_at + timedelta(
                    seconds=_minutes(rng, ACK_MEDIAN.get(plan.severity.rank, 30.0), 0.7)
                )
            since = plan.acknowledged_at or plan.declared_at
            plan.canceled_at = since + timedelta(seconds=_minutes(rng, 20, 0.7))
            self._fit(plan)
        else:
            self._open(plan)
        return plan

    def _closed(self, plan: Plan) -> None:
        rng = self.rng
        rank = plan.severity.rank
        ack = plan.declared_at + timedelta(seconds=_minutes(rng, ACK_MEDIAN.get(rank, 30.0), 0.7))
        mitigated = ack + timedelta(seconds=_minutes(rng, MITIGATE_MEDIAN.get(rank, 120.0), 0.8))
        if rng.random() < 0.05:
            plan.first_mitigated_at = mitigated
            plan.reopened_at = mitigated + timedelta(seconds=_minutes(rng, 20, 0.5))
            mitigated = plan.reopened_at + timedelta(seconds=_minutes(rng, 40, 0.6))
        # one in five is resolved straight from acknowledged (resolving implies mitigation)
        direct = plan.reopened_at is None and rng.random() < 0.2
        resolved = mitigated if direct else mitigated + timedelta(seconds=_minutes(rng, 90, 1.0))
        plan.acknowledged_at, plan.mitigated_at, plan.resolved_at = ack, mitigated, resolved
        plan.closed_at = resolved + timedelta(seconds=_minutes(rng, 20 * 60, 0.9))
        self._fit(plan)

    def _fit(self, plan: Plan) -> None:
        """Squeeze the milestones after declaration so the last one is in the past."""
        names = (
            "acknowledged_at", "first_mitigated_at", "reopened_at", "mitigated_at",
            "resolved_at", "closed_at", "canceled_at",
        )  # fmt: skip
        limit = self.now - timedelta(minutes=5)
        last = max(getattr(plan, n) or plan.declared_at for n in names)
        if last <= limit:
            return
        factor = (limit - plan.declared_at) / (last - plan.declared_at)
        for name in names:
            value = getattr(plan, name)
            if value is not None:
                setattr(plan, name, plan.declared_at + (value - plan.declared_at) * factor)

    def _open(self, plan: Plan) -> None:
        """Milestones of a still-open incident at fractions of the time since declaration."""
        rng = self.rng
        if plan.status == Status.triggered:
            return
        elapsed = self.now - plan.declared_at
        plan.acknowledged_at = plan.declared_at + elapsed * rng.uniform(0.02, 0.15)
        if plan.status == Status.acknowledged:
            return
        plan.mitigated_at = plan.acknowledged_at + (self.now - plan.acknowledged_at) * rng.uniform(
            0.3, 0.7
        )
        if plan.status == Status.mitigated:
            return
        plan.resolved_at = plan.mitigated_at + (self.now - plan.mitigated_at) * rng.uniform(
            0.1, 0.5
        )

    def _merged_into(self, target: Plan) -> Plan:
        """A duplicate declared while `target` was open, merged into it minutes later."""
        rng = self.rng
        open_until = target.resolved_at or self.now
        declared = target.declared_at + (open_until - target.declared_at) * rng.uniform(0.05, 0.4)
        room = (open_until - declared).total_seconds()
        plan = Plan(
            status=Status.merged,
            declared_at=declared,
            severity=target.severity,
            type=target.type,
            kind=target.kind,
            service_index=target.service_index,
            merge_target=target,
        )
        plan.merged_at = declared + timedelta(seconds=min(_minutes(rng, 12, 0.5), room * 0.6))
        if rng.random() < 0.4:
            plan.acknowledged_at = declared + (plan.merged_at - declared) * rng.uniform(0.2, 0.6)
        return plan
