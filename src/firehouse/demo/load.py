"""Fill a database with the demo history in bulk: rows are built in memory and inserted with
Core executemany in batches, so 100,000 incidents load in minutes. This is a loader, not a
sequence of user actions: it writes one audit record for the whole load, not one per row."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.audit import service as audit
from firehouse.auth import service as auth
from firehouse.catalog import service as catalog
from firehouse.db import Base
from firehouse.demo import content
from firehouse.demo.plan import Planner, SeverityInfo, TypeInfo
from firehouse.demo.story import Crew, Member, ServiceInfo, Story, Told
from firehouse.errors import Conflict, Invalid
from firehouse.incidents import service as incidents
from firehouse.incidents.models import Counter, Incident, Status
from firehouse.people import service as people
from firehouse.people.models import Role

DEMO_PASSWORD = "demo-password-123"  # noqa: S105 (printed for everyone to use)
MIN_INCIDENTS = 10
BATCH = 1000
CHILD_TABLES = (
    "incident_services",
    "incident_role_assignments",
    "incident_participants",
    "timeline_entries",
    "incident_checklist_checks",
)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DemoResult:
    incidents: int
    first_number: int
    last_number: int
    statuses: dict[str, int]
    users_created: int
    teams: int
    services: int
    rows: dict[str, int]
    # one handle per global role, to log in with
    logins: dict[Role, str]


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _insert(session: Session, name: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(_table(name)), rows)


def _ensure_teams(session: Session, since: datetime) -> dict[str, int]:
    existing = {t.slug for t in people.list_teams(session)}
    rows = [
        {"slug": t.slug, "name": t.name, "description": t.description, "created_at": since}
        for t in content.TEAMS
        if t.slug not in existing
    ]
    _insert(session, "teams", rows)
    return {t.slug: t.id for t in people.list_teams(session)}


def _ensure_people(
    session: Session, since: datetime, teams: dict[str, int], password_hash: str
) -> tuple[dict[str, int], int]:
    """The demo people by handle (new ones with the demo password), and how many were new."""
    existing = {u.handle for u in people.list_users(session)}
    new = [p for p in content.PEOPLE if p.handle not in existing]
    _insert(
        session,
        "users",
        [
            {
                "handle": p.handle,
                "name": p.name,
                "email": f"{p.handle}@demo.example.com",
                "timezone": p.timezone,
                "role": p.role,
                "password_hash": password_hash,
                "active": True,
                "created_at": since,
            }
            for p in new
        ],
    )
    ids = {u.handle: u.id for u in people.list_users(session)}
    _insert(
        session,
        "team_members",
        [
            {
                "team_id": teams[slug],
                "user_id": ids[p.handle],
                "is_manager": p.manages == slug,
            }
            for p in new
            for slug in p.teams
        ],
    )
    return ids, len(new)


def _ensure_services(session: Session, since: datetime, teams: dict[str, int]) -> list[ServiceInfo]:
    existing = {s.slug for s in catalog.list_services(session)}
    rows = [
        {
            "slug": s.slug,
            "name": s.name,
            "description": s.description,
            "team_id": teams[s.team],
            "created_at": since,
        }
        for s in content.SERVICES
        if s.slug not in existing
    ]
    _insert(session, "services", rows)
    wanted = {s.slug for s in content.SERVICES}
    return [
        ServiceInfo(s.id, s.slug, s.name, s.team_id)
        for s in catalog.list_services(session)
        if s.slug in wanted
    ]


def _crew(
    session: Session, teams: dict[str, int], ids: dict[str, int], services: list[ServiceInfo]
) -> Crew:
    writers = [
        Member(ids[p.handle], p.handle, p.role) for p in content.PEOPLE if p.role != Role.viewer
    ]
    by_handle = {m.handle: m for m in writers}
    by_team: dict[int, list[Member]] = {}
    for p in content.PEOPLE:
        for slug in p.teams:
            if p.handle in by_handle:
                by_team.setdefault(teams[slug], []).append(by_handle[p.handle])
    return Crew(
        writers=writers,
        managers=[m for m in writers if m.role.at_least(Role.incident_manager)],
        by_team=by_team,
        services=services,
        functions={teams[t.slug]: t.business_functions for t in content.TEAMS},
        security_team_id=teams.get("security"),
        severity_keys={s.rank: s.key for s in incidents.list_severities(session)},
    )


def _reserve_numbers(session: Session, count: int) -> int:
    """Take `count` incident numbers in one step; returns the first."""
    incidents.ensure_defaults(session)
    last = session.scalar(
        update(Counter)
        .where(Counter.name == "incident")
        .values(value=Counter.value + count)
        .returning(Counter.value)
    )
    assert last is not None
    return int(last) - count + 1


def _insert_batch(session: Session, told: list[Told], rows: dict[str, int]) -> None:
    table = _table("incidents")
    ids = session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [t.incident for t in told],
    ).scalars()
    for t, incident_id in zip(told, ids, strict=True):
        t.plan.id = incident_id
    for name in CHILD_TABLES:
        batch = []
        for t in told:
            for row in t.children[name]:
                row["incident_id"] = t.plan.id
                batch.append(row)
        _insert(session, name, batch)
        rows[name] = rows.get(name, 0) + len(batch)


def load_demo(
    session: Session,
    *,
    actor: Actor,
    incidents_count: int = 300,
    days: int = 90,
    seed: int = 42,
    force: bool = False,
    password: str = DEMO_PASSWORD,
    progress: Progress | None = None,
) -> DemoResult:
    """Teams, people, services and `incidents_count` incidents over the past `days` days."""
    require_writer(actor, Role.admin)
    if incidents_count < MIN_INCIDENTS:
        raise Invalid(f"the demo needs at least {MIN_INCIDENTS} incidents", field="incidents")
    if days < 1:
        raise Invalid("the demo spans at least one day", field="days")
    existing = session.scalar(select(func.count()).select_from(Incident)) or 0
    if existing and not force:
        raise Conflict(
            f"this database already has {existing} incidents; use --force to add the demo "
            "history anyway",
            details={"incidents": existing},
        )
    now = clock.now(session)
    since = now - timedelta(days=days + 30)
    rng = random.Random(seed)
    teams = _ensure_teams(session, since)
    ids, users_created = _ensure_people(session, since, teams, auth.hash_password(password))
    services = _ensure_services(session, since, teams)
    crew = _crew(session, teams, ids, services)
    severities = [
        SeverityInfo(
            id=s.id,
            key=s.key,
            name=s.name,
            rank=s.rank,
            checklist_keys=tuple(item["key"] for item in s.closure_checklist),
            postmortem_owner=any(i["key"] == "postmortem_owner" for i in s.closure_checklist),
        )
        for s in incidents.list_severities(session)
    ]
    types = [TypeInfo(t.id, t.key, t.restricted) for t in incidents.list_types(session)]
    planner = Planner(
        rng, now=now, days=days, severities=severities, types=types, service_count=len(services)
    )
    plans = planner.plan(incidents_count)
    first = _reserve_numbers(session, len(plans))
    for offset, plan in enumerate(plans):
        plan.number = first + offset
    rows: dict[str, int] = {}
    for start in range(0, len(plans), BATCH):
        chunk = plans[start : start + BATCH]
        _insert_batch(session, [Story(p, now=now, rng=rng, crew=crew).tell() for p in chunk], rows)
        if progress is not None:
            progress(start + len(chunk), len(plans))
    merges = [
        {"source": p.id, "target": p.merge_target.id} for p in plans if p.merge_target is not None
    ]
    if merges:
        table = _table("incidents")
        session.execute(
            update(table)
            .where(table.c.id == bindparam("source"))
            .values(merged_into_id=bindparam("target")),
            merges,
        )
    statuses = {s.value: sum(1 for p in plans if p.status == s) for s in Status}
    result = DemoResult(
        incidents=len(plans),
        first_number=first,
        last_number=first + len(plans) - 1,
        statuses=statuses,
        users_created=users_created,
        teams=len(content.TEAMS),
        services=len(services),
        rows={"incidents": len(plans), **rows},
        logins={role: next(p.handle for p in content.PEOPLE if p.role == role) for role in Role},
    )
    audit.record(
        session,
        actor=actor,
        action="demo.load",
        target_type="database",
        after={
            "numbers": f"INC-{result.first_number}..INC-{result.last_number}",
            "days": days,
            "seed": seed,
            "statuses": statuses,
            "users_created": users_created,
            "rows": result.rows,
        },
    )
    return result
