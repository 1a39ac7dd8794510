from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from firehouse.people.models import Role


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserCreate(Strict):
    handle: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    role: Role = Role.responder
    timezone: str = "UTC"
    password: str | None = Field(default=None, min_length=10, max_length=1000)


class UserUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    role: Role | None = None
    timezone: str | None = None
    active: bool | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    handle: str
    name: str
    email: str
    timezone: str
    role: Role
    active: bool
    created_at: datetime


class TeamCreate(Strict):
    slug: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)


class MemberAdd(Strict):
    user: str = Field(min_length=1, description="Handle.")
    is_manager: bool = False


class MemberRead(BaseModel):
    handle: str
    name: str
    is_manager: bool


class TeamRead(BaseModel):
    id: int
    slug: str
    name: str
    description: str
    members: list[MemberRead]
