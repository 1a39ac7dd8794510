"""Random action sequences by random people never leave an incident inconsistent: the status
agrees with the milestone times, role history never overlaps, every change has its timeline
entry, and a refused action writes nothing."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from firehouse.actor import Actor
from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.errors import AppError, Conflict, Forbidden, Invalid, NotFound
from firehouse.incidents import service as incidents
from firehouse.incidents.models import (
    Incident,
    IncidentRole,
    RoleAssignment,
    Status,
    TimelineEntry,
)
from firehouse.incidents.service.lifecycle import Declaration
from firehouse.people.models import Role
from tests.conftest import MakePerson
from tests.incident_steps import BASE_ITEMS, LIFECYCLE, written

PEOPLE = {"vi": Role.viewer, "r1": Role.responder, "r2": Role.responder}
PEOPLE |= {"im": Role.incident_manager, "ad": Role.admin}
HANDLES = tuple(PEOPLE)
ROLES = tuple(IncidentRole)
LIFECYCLE_ACTIONS = ("acknowledge", "mitigate", "resolve", "close", "reopen", "cancel")
# The milestones (after declared) each status has reached; the others are empty.
REACHED = {
    Status.triggered: (),
    Status.acknowledged: ("acknowledged_at",),
    Status.mitigated: ("acknowledged_at", "mitigated_at"),
    Status.resolved: ("acknowledged_at", "mitigated_at", "resolved_at"),
    Status.closed: ("acknowledged_at", "mitigated_at", "resolved_at", "closed_at"),
}
LATER = ("acknowledged_at", "mitigated_at", "resolved_at", "closed_at")

who = st.sampled_from(HANDLES)
which = st.integers(min_value=0, max_value=5)
step = st.one_of(
    st.tuples(st.just("declare"), who, st.sampled_from(["SEV1", "SEV2", "SEV3", "SEV4"])),
    st.tuples(st.just("act"), who, which, st.sampled_from(LIFECYCLE_ACTIONS)),
    st.tuples(st.just("act"), who, which, st.sampled_from(LIFECYCLE_ACTIONS)),
    st.tuples(st.just("merge"), who, which, which),
    st.tuples(st.just("assign"), who, which, st.sampled_from(ROLES), who),
    st.tuples(st.just("unassign"), who, which, st.sampled_from(ROLES)),
    st.tuples(st.just("check"), who, which, st.sampled_from(BASE_ITEMS), st.booleans()),
    st.tuples(
        st.just("milestone"),
        who,
        which,
        st.sampled_from(("detected_at", "declared_at", *LATER[:3])),
        st.integers(min_value=-90, max_value=90).filter(bool),
    ),
    st.tuples(st.just("note"), who, which, st.integers(min_value=0, max_value=90)),
    st.tuples(st.just("wait"), st.integers(min_value=1, max_value=120)),
)


@dataclass
class Model:
    """What a user would expect of each incident, built only from the actions that succeeded."""

    status: dict[int, Status] = field(default_factory=dict)
    severity: dict[int, str] = field(default_factory=dict)
    checked: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    holders: dict[int, dict[IncidentRole, str]] = field(default_factory=lambda: defaultdict(dict))
    entries: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def refusal(self, actor: Actor, number: int, action: str) -> type[AppError] | None:
        """The error a transition must fail with, or None when it must succeed."""
        status = self.status[number]
        if not actor.has(Role.responder):
            return Forbidden
        if action == "close":
            manager = self.holders[number].get(IncidentRole.incident_manager)
            if not actor.has(Role.incident_manager) and manager != actor.handle:
                return Forbidden
        if action not in LIFECYCLE[status.value]:
            return Conflict
        if action == "close" and not self.checklist_complete(number):
            return Conflict
        return None

    def checklist_complete(self, number: int) -> bool:
        needs_owner = self.severity[number] in ("SEV1", "SEV2")
        if needs_owner and IncidentRole.retrospective_leader not in self.holders[number]:
            return False
        return set(BASE_ITEMS) <= self.checked[number]


def _fail_kind(error: AppError | None) -> type[AppError] | None:
    for kind in (Forbidden, Conflict, Invalid):
        if isinstance(error, kind):
            return kind
    return None if error is None else type(error)


class Run:
    def __init__(self, database: Database, clock: FrozenClock, actors: dict[str, Actor]) -> None:
        self.database = database
        self.clock = clock
        self.actors = actors
        self.model = Model()
        self.numbers: list[int] = []

    def attempt(self, work: Any) -> AppError | None:
        """Run `work(session)` in one unit of work; a refusal must write nothing."""
        before = written(self.database)
        error = None
        try:
            with self.database.session() as session:
                work(session)
        except AppError as exc:
            error = exc
        if error is not None:
            assert written(self.database) == before, f"refused {error!r} but wrote"
        return error

    def pick(self, index: int) -> int | None:
        return self.numbers[index % len(self.numbers)] if self.numbers else None

    def play(self, move: tuple[Any, ...]) -> None:
        kind, *args = move
        if kind == "wait":
            self.clock.advance(timedelta(minutes=args[0]))
            return
        actor = self.actors[args[0]]
        if kind == "declare":
            self.declare(actor, args[1])
            return
        number = self.pick(args[1])
        if number is None:
            return
        getattr(self, kind)(actor, number, *args[2:])

    def declare(self, actor: Actor, severity: str) -> None:
        made: list[Incident] = []
        error = self.attempt(
            lambda s: made.append(
                incidents.declare(
                    s, actor=actor, spec=Declaration(title="Random trouble", severity=severity)
                )
            )
        )
        if not actor.has(Role.responder):
            assert isinstance(error, Forbidden)
            return
        assert error is None, error
        number = made[0].number
        self.numbers.append(number)
        self.model.status[number] = Status.triggered
        self.model.severity[number] = severity
        self.model.holders[number][IncidentRole.incident_manager] = actor.handle
        self.model.entries[number].update(["declared", "role_change"])

    def act(self, actor: Actor, number: int, action: str) -> None:
        expected = self.model.refusal(actor, number, action)
        error = self.attempt(
            lambda s: incidents.transition(
                s, actor=actor, incident_ref=number, action=action, reason="random reason"
            )
        )
        assert _fail_kind(error) == expected, (action, self.model.status[number], error)
        if error is None:
            self.model.status[number] = Status(LIFECYCLE[self.model.status[number]][action])
            self.model.entries[number]["status_change"] += 1

    def merge(self, actor: Actor, number: int, into_index: int) -> None:
        into = self.pick(into_index)
        assert into is not None
        error = self.attempt(
            lambda s: incidents.merge(s, actor=actor, incident_ref=number, into_ref=into)
        )
        mergeable = "merge" in LIFECYCLE[self.model.status[number].value]
        target_open = self.model.status[into] in (
            Status.triggered,
            Status.acknowledged,
            Status.mitigated,
            Status.resolved,
        )
        if not actor.has(Role.responder):
            assert isinstance(error, Forbidden)
        elif into == number:
            assert isinstance(error, Invalid)
        elif not mergeable or not target_open:
            assert isinstance(error, Conflict), error
        else:
            assert error is None, error
            self.model.status[number] = Status.merged
            self.model.entries[number]["status_change"] += 1
            self.model.entries[into]["merged"] += 1

    def assign(self, actor: Actor, number: int, role: IncidentRole, handle: str) -> None:
        error = self.attempt(
            lambda s: incidents.assign_role(
                s, actor=actor, incident_ref=number, role=role, handle=handle
            )
        )
        if not actor.has(Role.responder):
            assert isinstance(error, Forbidden)
        elif self.model.status[number] in (Status.closed, Status.canceled, Status.merged):
            assert isinstance(error, Conflict)
        else:
            assert error is None, error
            if self.model.holders[number].get(role) != handle:
                self.model.holders[number][role] = handle
                self.model.entries[number]["role_change"] += 1

    def unassign(self, actor: Actor, number: int, role: IncidentRole) -> None:
        error = self.attempt(
            lambda s: incidents.unassign_role(s, actor=actor, incident_ref=number, role=role)
        )
        if not actor.has(Role.responder):
            assert isinstance(error, Forbidden)
        elif self.model.status[number] in (Status.closed, Status.canceled, Status.merged):
            assert isinstance(error, Conflict)
        elif role not in self.model.holders[number]:
            assert isinstance(error, NotFound)
        else:
            assert error is None, error
            del self.model.holders[number][role]
            self.model.entries[number]["role_change"] += 1

    def check(self, actor: Actor, number: int, item: str, on: bool) -> None:
        if on:
            error = self.attempt(
                lambda s: incidents.check_item(s, actor=actor, incident_ref=number, key=item)
            )
        else:
            error = self.attempt(
                lambda s: incidents.uncheck_item(s, actor=actor, incident_ref=number, key=item)
            )
        if not actor.has(Role.responder):
            assert isinstance(error, Forbidden)
        elif self.model.status[number] in (Status.closed, Status.canceled, Status.merged):
            assert isinstance(error, Conflict)
        else:
            assert error is None, error
            if on and item not in self.model.checked[number]:
                self.model.checked[number].add(item)
                self.model.entries[number]["checklist"] += 1
            elif not on and item in self.model.checked[number]:
                self.model.checked[number].discard(item)
                self.model.entries[number]["checklist"] += 1

    def milestone(self, actor: Actor, number: int, name: str, minutes: int) -> None:
        """Move a milestone by `minutes` (from declared_at when it is not set yet)."""
        with self.database.session(write=False) as session:
            incident = session.scalar(select(Incident).where(Incident.number == number))
            assert incident is not None
            current = getattr(incident, name) or incident.declared_at
        value = current + timedelta(minutes=minutes)
        error = self.attempt(
            lambda s: incidents.edit_milestones(
                s, actor=actor, incident_ref=number, changes={name: value}
            )
        )
        if not actor.has(Role.responder):
            assert isinstance(error, Forbidden)
        elif error is None:
            self.model.entries[number]["milestone_change"] += 1
        else:
            assert isinstance(error, Invalid), error

    def note(self, actor: Actor, number: int, minutes_ago: int) -> None:
        when = self.clock.now() - timedelta(minutes=minutes_ago)
        error = self.attempt(
            lambda s: incidents.add_note(
                s, actor=actor, incident_ref=number, body="seen", occurred_at=when
            )
        )
        if actor.has(Role.responder):
            assert error is None, error
            self.model.entries[number]["note"] += 1
        else:
            assert isinstance(error, Forbidden)

    def check_consistency(self) -> None:
        with self.database.session(write=False) as session:
            for number in self.numbers:
                incident = session.scalar(select(Incident).where(Incident.number == number))
                assert incident is not None
                self._milestones(incident)
                assert incident.status == self.model.status[number]
                self._roles(session, incident)
                kinds = Counter(
                    dict(
                        session.execute(
                            select(TimelineEntry.kind, func.count(TimelineEntry.id))
                            .where(TimelineEntry.incident_id == incident.id)
                            .group_by(TimelineEntry.kind)
                        ).all()
                    )
                )
                assert kinds == self.model.entries[number], incident.reference

    @staticmethod
    def _milestones(incident: Incident) -> None:
        ref = f"{incident.reference} ({incident.status.value})"
        times = [incident.detected_at, incident.declared_at]
        times += [getattr(incident, m) for m in LATER]
        present = [t for t in times if t is not None]
        assert present == sorted(present), f"{ref}: milestones out of order"
        reached = [m for m in LATER if getattr(incident, m) is not None]
        assert reached == list(LATER[: len(reached)]), f"{ref}: a milestone skipped: {reached}"
        if incident.status in REACHED:
            assert tuple(reached) == REACHED[incident.status], f"{ref}: {reached}"
            assert incident.canceled_at is None
        else:
            assert incident.closed_at is None, ref
        assert (incident.canceled_at is not None) == (incident.status == Status.canceled), ref
        assert (incident.merged_into_id is not None) == (incident.status == Status.merged), ref

    @staticmethod
    def _roles(session: Any, incident: Incident) -> None:
        stints = session.scalars(
            select(RoleAssignment)
            .where(RoleAssignment.incident_id == incident.id)
            .order_by(RoleAssignment.started_at, RoleAssignment.id)
        ).all()
        by_role: dict[IncidentRole, list[RoleAssignment]] = defaultdict(list)
        for stint in stints:
            by_role[stint.role].append(stint)
        for role, history in by_role.items():
            for earlier, later in itertools.pairwise(history):
                assert earlier.ended_at is not None, f"{incident.reference}: two {role} at once"
                assert earlier.ended_at <= later.started_at, f"{incident.reference}: {role}"
            for stint in history:
                assert stint.ended_at is None or stint.started_at <= stint.ended_at


@pytest.fixture
def actors(make_person: MakePerson) -> dict[str, Actor]:
    """Made once for all examples (hypothesis reuses function-scoped fixtures)."""
    made = {}
    for handle, role in PEOPLE.items():
        person = make_person(handle, role)
        made[handle] = Actor(user_id=person.id, handle=handle, role=role)
    return made


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(moves=st.lists(step, min_size=1, max_size=30))
def test_random_actions_keep_every_incident_consistent(
    database: Database, clock: FrozenClock, actors: dict[str, Actor], moves: list[Any]
) -> None:
    """The database lives across examples: each example adds incidents to the same world, and
    the checks cover the incidents it made."""
    run = Run(database, clock, actors)
    for move in [("declare", "r1", "SEV3"), *moves]:
        run.play(move)
    run.check_consistency()
