from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ServiceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    team: str | None = None
    description: str = Field(default="", max_length=2000)


class ServiceRead(BaseModel):
    id: int
    slug: str
    name: str
    description: str
    team: str | None
    created_at: datetime
