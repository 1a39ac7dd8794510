"""Request and response bodies of the escalation API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class TargetIn(BaseModel):
    type: Literal["user", "schedule", "team", "policy"]
    user: str | None = Field(default=None, description="Handle, for type=user.")
    team: str | None = Field(default=None, description="Team slug, for type=team.")
    schedule_id: int | None = Field(default=None, description="For type=schedule.")
    policy_id: int | None = Field(default=None, description="For type=policy.")


class StepIn(BaseModel):
    delay_minutes: int = Field(description="Minutes to wait after this step before the next.")
    targets: list[TargetIn]


class PolicyIn(BaseModel):
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    team: str | None = None
    team_default: bool = False
    repeat: int = Field(default=0, description="Extra passes through the steps.")
    reescalate_after_minutes: int | None = None
    steps: list[StepIn]


class TargetRead(BaseModel):
    kind: str
    name: str
    user_id: int | None = None
    team_id: int | None = None
    schedule_id: int | None = None
    policy_id: int | None = None


class StepRead(BaseModel):
    delay_minutes: int
    targets: list[TargetRead]


class PolicyRead(BaseModel):
    id: int
    name: str
    description: str
    team: str | None
    team_default: bool
    repeat: int
    reescalate_after_minutes: int | None
    services: list[str]
    steps: list[StepRead]
    created_at: datetime
    updated_at: datetime


class ServicePolicyIn(BaseModel):
    policy_id: int | None


class PageIn(BaseModel):
    policy_id: int | None = Field(
        default=None, description="Default: the first affected service's, else the team's."
    )
    urgency: Literal["high", "low"] = "high"
    reason: str = Field(default="", max_length=2000)


class EscalationRead(BaseModel):
    id: int
    policy_id: int | None
    policy_name: str
    state: str
    urgency: str
    reason: str
    step_index: int
    round: int
    reescalations: int
    next_action_at: datetime | None
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    snapshot: dict[str, Any]
