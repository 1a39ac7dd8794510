from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from firehouse.auth.models import TokenScope
from firehouse.people.schemas import UserRead


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    scope: TokenScope = TokenScope.read
    expires_in: str | None = Field(
        default="90d", description="30m, 12h, 90d, 2w; null for a token that never expires."
    )


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    scope: TokenScope
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIssued(TokenRead):
    token: str = Field(description="Shown once; store it now.")


class Me(BaseModel):
    user: UserRead
    teams: list[str]
    can_write: bool
