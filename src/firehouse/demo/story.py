"""One demo incident told as rows: the incident, its roles with handovers, who joined, the
closure checks and a timeline that agrees with the milestones (as the services would write)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from firehouse.demo import content
from firehouse.demo.plan import Plan
from firehouse.incidents.models import IncidentRole, Kind, Status
from firehouse.people.models import Role

Row = dict[str, Any]
AUTOMATIC_ITEM = "postmortem_owner"


@dataclass(frozen=True)
class Member:
    id: int
    handle: str
    role: Role


@dataclass(frozen=True)
class ServiceInfo:
    id: int
    slug: str
    name: str
    team_id: int | None


@dataclass
class Crew:
    """Who can be put on an incident, and what can break."""

    writers: list[Member]
    managers: list[Member]
    by_team: dict[int, list[Member]]
    services: list[ServiceInfo]
    functions: dict[int, tuple[str, ...]]
    security_team_id: int | None
    severity_keys: dict[int, str]
    by_id: dict[int, Member] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {m.id: m for m in self.writers}

    def team_pool(self, team_id: int | None) -> list[Member]:
        pool = self.by_team.get(team_id, []) if team_id is not None else []
        return pool or self.writers


@dataclass
class Told:
    """The rows of one incident; child rows get `incident_id` once the incident is inserted."""

    plan: Plan
    incident: Row
    children: dict[str, list[Row]]


class Story:
    def __init__(self, plan: Plan, *, now: datetime, rng: random.Random, crew: Crew) -> None:
        self.plan = plan
        self.now = now
        self.rng = rng
        self.crew = crew
        self.entries: list[Row] = []
        self.roles: list[Row] = []
        self.holders: dict[IncidentRole, Row] = {}
        self.present: dict[int, Row] = {}
        self.participants: list[Row] = []
        self.checks: list[Row] = []
        self.members: dict[int, Member] = {}

    def _pick(self, pool: list[Member], *, avoid: set[int] | None = None) -> Member:
        avoid = avoid or set()
        choices = [m for m in pool if m.id not in avoid]
        choices = choices or [m for m in self.crew.writers if m.id not in avoid]
        return self.rng.choice(choices or self.crew.writers)

    def _between(self, start: datetime, end: datetime, low: float, high: float) -> datetime:
        return start + (end - start) * self.rng.uniform(low, high)

    def _entry(
        self,
        kind: str,
        at: datetime,
        by: Member,
        body: str,
        data: dict[str, Any] | None = None,
        *,
        pinned: bool = False,
        recorded_at: datetime | None = None,
    ) -> None:
        self.entries.append(
            {
                "incident_id": None,
                "kind": kind,
                "body": body,
                "data": data or {},
                "occurred_at": at,
                "recorded_at": recorded_at or at,
                "author_id": by.id,
                "pinned": pinned,
            }
        )

    def _status(
        self, at: datetime, by: Member, old: Status, new: Status, action: str, reason: str = ""
    ) -> None:
        body = f"{old.value} \u2192 {new.value} by {by.handle}" + (f": {reason}" if reason else "")
        data = {"from": old.value, "to": new.value, "action": action, "reason": reason}
        self._entry("status_change", at, by, body, data)

    def _join(self, member: Member, at: datetime) -> None:
        self.members[member.id] = member
        if member.id in self.present:
            return
        stint = {"incident_id": None, "user_id": member.id, "joined_at": at, "left_at": None}
        self.present[member.id] = stint
        self.participants.append(stint)

    def _assign(self, role: IncidentRole, member: Member, at: datetime, by: Member) -> None:
        """As the roles service does: end the holder's stint, start the new one, join them."""
        holder = self.holders.get(role)
        if holder is not None and holder["user_id"] == member.id:
            return
        previous = None
        if holder is not None:
            holder["ended_at"] = at
            previous = self.members[holder["user_id"]].handle
        row = {
            "incident_id": None,
            "role": role,
            "user_id": member.id,
            "assigned_by_id": by.id,
            "started_at": at,
            "ended_at": None,
        }
        self.holders[role] = row
        self.roles.append(row)
        self._join(member, at)
        handover = f"{previous} \u2192 {member.handle}" if previous else member.handle
        self._entry(
            "role_change",
            at,
            by,
            f"{role.value.replace('_', ' ')}: {handover} (by {by.handle})",
            {"role": role.value, "from": previous, "to": member.handle},
        )

    def _holder(self, *roles: IncidentRole) -> Member:
        for role in roles:
            if role in self.holders:
                return self.members[self.holders[role]["user_id"]]
        raise LookupError(roles)

    def tell(self) -> Told:
        plan, rng, crew = self.plan, self.rng, self.crew
        service = crew.services[plan.service_index]
        team_id = service.team_id
        if plan.type.restricted and crew.security_team_id is not None:
            team_id = crew.security_team_id
        team = crew.team_pool(team_id)
        functions = crew.functions.get(team_id or 0) or ("the product",)
        words = self._words(service, functions)
        declarer = self._pick(team)
        self.members[declarer.id] = declarer
        rank = plan.severity.rank
        manager = declarer
        if rank <= 2 or rng.random() < 0.4:
            manager = self._pick(crew.managers, avoid={declarer.id})
        initial = crew.severity_keys.get(rank + 1) if plan.status != Status.merged else None
        if initial is None or rng.random() >= 0.1:
            initial = plan.severity.key
        self._entry(
            "declared",
            plan.declared_at,
            declarer,
            f"{plan.reference} declared as {initial} by {declarer.handle}",
            {"severity": initial, "type": plan.type.key, "kind": plan.kind.value},
        )
        self._assign(IncidentRole.incident_manager, manager, plan.declared_at, declarer)
        end = plan.active_until(self.now)
        if initial != plan.severity.key:
            self._entry(
                "severity_change",
                self._between(plan.declared_at, end, 0.02, 0.2),
                manager,
                f"severity {initial} \u2192 {plan.severity.key} by {manager.handle}",
                {"from": initial, "to": plan.severity.key},
            )
        if plan.acknowledged_at is not None:
            self._response(team, declarer, end)
        self._notes(plan.acknowledged_at or plan.declared_at, end, words)
        self._ending()
        for source in plan.merged_sources:
            self._absorb(source, service, words, functions)
        return self._rows(service, team_id, declarer, words, functions)

    def _words(self, service: ServiceInfo, functions: tuple[str, ...]) -> dict[str, Any]:
        rng = self.rng
        return {
            "name": service.name,
            "slug": service.slug,
            "pct": rng.choice((2, 5, 8, 12, 20, 35, 60)),
            "region": rng.choice(content.REGIONS),
            "count": rng.choice((40, 120, 300, 900)),
            "secs": rng.choice((30, 90, 300, 900)),
            "ms": rng.choice((800, 1500, 2500, 4000, 9000)),
            "vendor": rng.choice(content.VENDORS),
            "version": f"{rng.randint(2, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 9)}",
            "flag": rng.choice(("new-checkout-flow", "fast-login", "batch-payouts", "v2-search")),
            "function": rng.choice(functions),
            "cve": rng.randint(1000, 49999),
            "cause": rng.choice(content.CAUSES),
            "mitigation": rng.choice(content.MITIGATIONS),
            "time": self.plan.declared_at.strftime("%H:%M"),
            "dashboard": f"https://grafana.example.com/d/{service.slug}",
        }

    def _response(self, team: list[Member], declarer: Member, end: datetime) -> None:
        """Acknowledgement, the response roles, people joining and leaving, a handover."""
        plan, rng, crew = self.plan, self.rng, self.crew
        assert plan.acknowledged_at is not None
        ack = plan.acknowledged_at
        acker = declarer if rng.random() < 0.5 else self._pick(team)
        manager = self._holder(IncidentRole.incident_manager)
        self._status(ack, acker, Status.triggered, Status.acknowledged, "acknowledge")
        self._assign(IncidentRole.on_call_engineer, acker, ack, manager)
        rank = plan.severity.rank
        if rank <= 3 or rng.random() < 0.5:
            lead = self._pick(team, avoid=set(self.present))
            at = self._between(ack, end, 0.01, 0.1)
            self._assign(IncidentRole.technical_lead, lead, at, manager)
        if rank <= 2 or rng.random() < 0.15:
            comms = self._pick(crew.writers, avoid=set(self.present))
            at = self._between(ack, end, 0.02, 0.15)
            self._assign(IncidentRole.communications_lead, comms, at, manager)
        if rank == 1 and rng.random() < 0.5:
            scribe = self._pick(crew.writers, avoid=set(self.present))
            self._assign(IncidentRole.scribe, scribe, self._between(ack, end, 0.02, 0.2), manager)
        for _ in range(rng.randint(0, 3 if rank <= 2 else 1)):
            extra = self._pick(team + crew.writers[:4], avoid=set(self.present))
            joined = self._between(ack, end, 0.05, 0.6)
            self._join(extra, joined)
            data = {"user": extra.handle, "joined": True}
            self._entry("participant", joined, extra, f"{extra.handle} joined", data)
            if rng.random() < 0.5:
                left = self._between(joined, end, 0.3, 0.95)
                self.present.pop(extra.id)["left_at"] = left
                data = {"user": extra.handle, "joined": False}
                self._entry("participant", left, extra, f"{extra.handle} left", data)
        if end - ack > timedelta(hours=3) and rng.random() < 0.6:
            at = self._between(ack, end, 0.4, 0.6)
            successor = self._pick(crew.managers, avoid={manager.id})
            self._assign(IncidentRole.incident_manager, successor, at, manager)
            body = content.HANDOVER_NOTE.format(handle=successor.handle)
            self._entry("note", at, manager, body)
        self._progress()

    def _progress(self) -> None:
        """Status changes after acknowledgement, including a reopen when the fix did not hold."""
        plan = self.plan
        worker = self._holder(IncidentRole.technical_lead, IncidentRole.on_call_engineer)
        if plan.first_mitigated_at is not None and plan.reopened_at is not None:
            first = plan.first_mitigated_at
            self._status(first, worker, Status.acknowledged, Status.mitigated, "mitigate")
            reason = self.rng.choice(content.REOPEN_REASONS)
            manager = self._holder(IncidentRole.incident_manager)
            self._status(
                plan.reopened_at, manager, Status.mitigated, Status.acknowledged, "reopen", reason
            )
        if plan.resolved_at is not None and plan.mitigated_at == plan.resolved_at:
            self._status(plan.resolved_at, worker, Status.acknowledged, Status.resolved, "resolve")
            return
        if plan.mitigated_at is not None:
            self._status(
                plan.mitigated_at, worker, Status.acknowledged, Status.mitigated, "mitigate"
            )
        if plan.resolved_at is not None:
            self._status(plan.resolved_at, worker, Status.mitigated, Status.resolved, "resolve")

    def _notes(self, start: datetime, end: datetime, words: dict[str, Any]) -> None:
        plan, rng = self.plan, self.rng
        if plan.status in (Status.canceled, Status.merged):
            count = rng.randint(0, 1)
        else:
            hours = (end - start).total_seconds() / 3600
            count = rng.randint(1, 2 + min(4, int(hours)))
        key = rng.randrange(count) if count and rng.random() < 0.45 else -1
        authors = list(self.members.values())
        for i in range(count):
            author = rng.choice(authors)
            at = self._between(start, end, 0.05, 0.95)
            template = rng.choice(content.KEY_NOTES if i == key else content.NOTES)
            body = template.format(**words, handle=author.handle)
            # some notes are written up a little after the fact
            recorded = min(at + timedelta(minutes=rng.choice((0, 0, 2, 9))), end)
            self._entry("note", at, author, body, pinned=i == key, recorded_at=recorded)

    def _ending(self) -> None:
        """Postmortem owner and closure checks once resolved, then close, cancel or merge."""
        plan, rng = self.plan, self.rng
        manager = self._holder(IncidentRole.incident_manager)
        people = list(self.members.values())
        if plan.resolved_at is not None:
            close_by = plan.closed_at or self.now
            if plan.severity.postmortem_owner or rng.random() < 0.3:
                at = self._between(plan.resolved_at, close_by, 0.02, 0.4)
                owner = rng.choice(people)
                self._assign(IncidentRole.retrospective_leader, owner, at, manager)
            keys = [k for k in plan.severity.checklist_keys if k != AUTOMATIC_ITEM]
            if plan.closed_at is None:
                keys = [k for k in keys if rng.random() < 0.5]
            times = sorted(self._between(plan.resolved_at, close_by, 0.05, 0.9) for _ in keys)
            for key, at in zip(keys, times, strict=True):
                checker = rng.choice(people)
                self.checks.append(
                    {
                        "incident_id": None,
                        "item_key": key,
                        "checked_by_id": checker.id,
                        "checked_at": at,
                        "note": "",
                    }
                )
                body = f"checklist: {key} checked by {checker.handle}"
                self._entry(
                    "checklist", at, checker, body, {"item": key, "checked": True, "note": ""}
                )
        old = Status.acknowledged if plan.acknowledged_at else Status.triggered
        if plan.closed_at is not None:
            self._status(plan.closed_at, manager, Status.resolved, Status.closed, "close")
        elif plan.canceled_at is not None:
            reason = rng.choice(content.CANCEL_REASONS)
            self._status(plan.canceled_at, manager, old, Status.canceled, "cancel", reason)
        elif plan.merged_at is not None and plan.merge_target is not None:
            merger = self.crew.by_id.get(plan.merged_by or 0, manager)
            into = plan.merge_target.reference
            self._entry(
                "status_change",
                plan.merged_at,
                merger,
                f"{old.value} \u2192 merged into {into} by {merger.handle}",
                {"from": old.value, "to": "merged", "action": "merge", "into": into},
            )

    def _absorb(
        self, source: Plan, service: ServiceInfo, words: dict[str, Any], functions: tuple[str, ...]
    ) -> None:
        """The `merged` entry on this incident. Told before the duplicate's own story (it was
        declared later), so it names the duplicate and who merged it."""
        assert source.merged_at is not None
        merger = self._holder(IncidentRole.incident_manager)
        source.merged_by = merger.id
        source.title = self.rng.choice(
            (
                f"{service.name} errors reported by customer support",
                f"Alert: {service.slug} health check failing",
                f"Customers in {words['region']} cannot use {functions[0]}",
            )
        )
        body = f"{source.reference} ({source.title}) merged into this incident"
        self._entry("merged", source.merged_at, merger, body, {"from": source.reference})

    def _rows(
        self,
        service: ServiceInfo,
        team_id: int | None,
        declarer: Member,
        words: dict[str, Any],
        functions: tuple[str, ...],
    ) -> Told:
        plan, rng = self.plan, self.rng
        rank = plan.severity.rank
        facing = plan.kind == Kind.real and rng.random() < {1: 0.9, 2: 0.8, 3: 0.4}.get(rank, 0.1)
        users_affected = None
        if facing:
            low, high = {1: (5000, 400_000), 2: (500, 60_000), 3: (20, 5000)}.get(rank, (1, 300))
            users_affected = rng.randint(low, high)
        links = {
            "dashboard": words["dashboard"],
            "chat": f"https://chat.example.com/archives/{plan.reference.lower()}",
        }
        if rng.random() < 0.4:
            links["runbook"] = f"https://wiki.example.com/runbooks/{service.slug}"
        if plan.status in (Status.triggered, Status.acknowledged):
            summary = content.INVESTIGATING.format(**words)
        else:
            summary = rng.choice(content.SUMMARIES).format(**words)
        if plan.title:
            title = plan.title
        elif plan.kind == Kind.drill:
            title = rng.choice(content.DRILL_TITLES).format(**words)
        else:
            templates = content.TITLES.get(plan.type.key, content.TITLES["operational"])
            title = rng.choice(templates).format(**words)
        self.entries.sort(key=lambda e: e["occurred_at"])
        incident = {
            "number": plan.number,
            "title": title,
            "summary": summary,
            "type_id": plan.type.id,
            "severity_id": plan.severity.id,
            "status": plan.status,
            "kind": plan.kind,
            "team_id": team_id,
            "restricted": plan.type.restricted,
            "customer_facing": facing,
            "users_affected": users_affected,
            "business_functions": rng.sample(functions, k=min(len(functions), rng.randint(1, 2))),
            "links": links,
            "detected_at": plan.detected_at,
            "declared_at": plan.declared_at,
            "acknowledged_at": plan.acknowledged_at,
            "mitigated_at": plan.mitigated_at,
            "resolved_at": plan.resolved_at,
            "closed_at": plan.closed_at,
            "canceled_at": plan.canceled_at,
            "merged_into_id": None,
            "created_by_id": declarer.id,
            "created_at": plan.declared_at,
            "updated_at": max(e["recorded_at"] for e in self.entries),
        }
        links_rows = [{"incident_id": None, "service_id": service.id}]
        return Told(
            plan,
            incident,
            {
                "incident_services": links_rows,
                "incident_role_assignments": self.roles,
                "incident_participants": self.participants,
                "timeline_entries": self.entries,
                "incident_checklist_checks": self.checks,
            },
        )
