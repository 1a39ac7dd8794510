"""Stakeholder lists, and turning audience names into outbox targets.

An audience is `team:<slug>` (the team's channels, or its members' email when it has none),
`list:<slug>` (a stakeholder list) or `executives` (the list with that slug)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.audit import service as audit
from firehouse.errors import Conflict, Invalid, NotFound
from firehouse.notify import stakeholders as team_channels
from firehouse.people import service as people
from firehouse.people.models import Role
from firehouse.statuspage.service.subscribers import check_email, check_url
from firehouse.updates.models import StakeholderList

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
CHANNELS = ("email", "webhook", "apprise")


@dataclass(frozen=True)
class Target:
    channel: str
    target: str


def _targets(raw: list[dict[str, str]]) -> list[dict[str, str]]:
    clean = []
    for index, item in enumerate(raw):
        channel = str(item.get("channel", "email"))
        target = str(item.get("target", "")).strip()
        field = f"targets.{index}"
        if channel not in CHANNELS:
            raise Invalid(f"channel is one of {', '.join(CHANNELS)}", field=f"{field}.channel")
        if channel == "email":
            target = check_email(target) if target else ""
        elif channel == "webhook":
            target = check_url(target, field=f"{field}.target")
        if not target:
            raise Invalid("a target is needed", field=f"{field}.target")
        clean.append({"channel": channel, "target": target})
    return clean


def list_lists(session: Session) -> list[StakeholderList]:
    return list(session.scalars(select(StakeholderList).order_by(StakeholderList.slug)).all())


def find_list(session: Session, slug: str, *, field: str | None = None) -> StakeholderList:
    row = session.scalar(select(StakeholderList).where(StakeholderList.slug == slug))
    if row is None:
        if field is not None:
            raise Invalid(f"no stakeholder list {slug!r}", field=field)
        raise NotFound(f"no stakeholder list {slug!r}")
    return row


def _snapshot(row: StakeholderList) -> dict[str, Any]:
    return {"slug": row.slug, "name": row.name, "targets": len(row.targets)}


def create_list(
    session: Session,
    *,
    actor: Actor,
    slug: str,
    name: str,
    description: str = "",
    targets: list[dict[str, str]],
) -> StakeholderList:
    require_writer(actor, Role.incident_manager)
    if not SLUG_RE.match(slug):
        raise Invalid("a slug is lowercase letters, digits, '-' and '_'", field="slug")
    if session.scalar(select(StakeholderList.id).where(StakeholderList.slug == slug)):
        raise Conflict(f"stakeholder list {slug!r} exists", details={"field": "slug"})
    row = StakeholderList(
        slug=slug,
        name=name.strip() or slug,
        description=description.strip(),
        targets=_targets(targets),
        created_at=clock.now(session),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="stakeholder_list.create",
        target_type="stakeholder_list",
        target_id=slug,
        after=_snapshot(row),
    )
    return row


def update_list(
    session: Session, *, actor: Actor, slug: str, changes: dict[str, Any]
) -> StakeholderList:
    require_writer(actor, Role.incident_manager)
    row = find_list(session, slug)
    before = _snapshot(row)
    if changes.get("name") is not None:
        row.name = str(changes["name"]).strip() or row.name
    if changes.get("description") is not None:
        row.description = str(changes["description"]).strip()
    if changes.get("targets") is not None:
        row.targets = _targets(list(changes["targets"]))
    audit.record(
        session,
        actor=actor,
        action="stakeholder_list.update",
        target_type="stakeholder_list",
        target_id=slug,
        before=before,
        after=_snapshot(row),
    )
    return row


def delete_list(session: Session, *, actor: Actor, slug: str) -> None:
    require_writer(actor, Role.incident_manager)
    row = find_list(session, slug)
    audit.record(
        session,
        actor=actor,
        action="stakeholder_list.delete",
        target_type="stakeholder_list",
        target_id=slug,
        before=_snapshot(row),
    )
    session.delete(row)


def resolve(session: Session, audiences: list[str]) -> list[Target]:
    """The outbox targets of the audiences, each once; 422 naming an unknown audience."""
    found: dict[tuple[str, str], Target] = {}
    for index, name in enumerate(audiences):
        field = f"audiences.{index}"
        kind, _, slug = name.partition(":")
        if name == "executives":
            kind, slug = "list", "executives"
        if kind == "team" and slug:
            team = people.find_team(session, slug, field=field)
            channels = team_channels.list_channels(session, team_slug=team.slug)
            if channels:
                targets = [Target(c.channel.value, c.target) for c in channels]
            else:
                members = [people.get_user(session, m.user_id) for m in team.members]
                targets = [Target("email", u.email) for u in members if u.active]
        elif kind == "list" and slug:
            row = find_list(session, slug, field=field)
            targets = [Target(t["channel"], t["target"]) for t in row.targets]
        else:
            raise Invalid("an audience is team:<slug>, list:<slug> or executives", field=field)
        for target in targets:
            found.setdefault((target.channel, target.target), target)
    return list(found.values())
