"""Escalation policies (ordered steps of targets) and the escalations running from them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from firehouse.db import Base, UTCDateTime


class TargetKind(enum.StrEnum):
    user = "user"
    schedule = "schedule"  # whoever is on call in the schedule when the step fires
    team = "team"  # whoever is on call for the team when the step fires
    policy = "policy"  # the first step's targets of another policy


class EscalationState(enum.StrEnum):
    paging = "paging"  # steps fire at next_action_at
    acknowledged = "acknowledged"  # waiting to re-escalate at next_action_at if not mitigated
    done = "done"


class EscalationPolicy(Base):
    __tablename__ = "escalation_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), default=None, index=True
    )
    # the policy for the team's incidents that name no service with a policy of its own
    team_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # how many more times to go through all steps after the first pass
    repeat: Mapped[int] = mapped_column(Integer, default=0)
    # page again when acknowledged but not mitigated within this many minutes (None: never)
    reescalate_after_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    steps: Mapped[list[EscalationStep]] = relationship(
        back_populates="policy",
        cascade="all, delete-orphan",
        order_by="EscalationStep.position",
    )


class EscalationStep(Base):
    __tablename__ = "escalation_steps"
    __table_args__ = (UniqueConstraint("policy_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[int] = mapped_column(
        ForeignKey("escalation_policies.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    # minutes to wait after this step before the next one fires
    delay_minutes: Mapped[int] = mapped_column(Integer)

    policy: Mapped[EscalationPolicy] = relationship(back_populates="steps")
    targets: Mapped[list[EscalationTarget]] = relationship(
        back_populates="step", cascade="all, delete-orphan", order_by="EscalationTarget.id"
    )


class EscalationTarget(Base):
    __tablename__ = "escalation_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    step_id: Mapped[int] = mapped_column(
        ForeignKey("escalation_steps.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[TargetKind] = mapped_column(Enum(TargetKind, native_enum=False, length=16))
    # deleting a person or team still named in a policy is refused (409), hence no cascade
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None, index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), default=None, index=True)
    # schedules live in another domain; checked through its service
    schedule_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    target_policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalation_policies.id"), default=None, index=True
    )

    step: Mapped[EscalationStep] = relationship(back_populates="targets")


class Escalation(Base):
    """A policy running for an incident. Keeps a snapshot of the policy taken at start."""

    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_due", "state", "next_action_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalation_policies.id", ondelete="SET NULL"), default=None, index=True
    )
    policy_name: Mapped[str] = mapped_column(String(200))
    # {"repeat": n, "reescalate_after_minutes": m|None, "steps": [{"delay_minutes", "targets"}]}
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    urgency: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[EscalationState] = mapped_column(
        Enum(EscalationState, native_enum=False, length=16)
    )
    # the next step to fire (0-based) and which pass through the steps this is (0-based)
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    round: Mapped[int] = mapped_column(Integer, default=0)
    # how many times it re-escalated after an acknowledgement without mitigation
    reescalations: Mapped[int] = mapped_column(Integer, default=0)
    reescalating: Mapped[bool] = mapped_column(Boolean, default=False)
    next_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    end_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    started_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
