from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from firehouse.db import Base, UTCDateTime


class Service(Base):
    """Something that can break: an API, a database, a queue. Owned by a team."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), default=None, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # who gets paged for this service (escalation domain; deleting a policy in use is refused)
    escalation_policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalation_policies.id"), default=None, index=True
    )
