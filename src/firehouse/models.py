"""Imports every domain's models so that Base.metadata knows all tables (Alembic, tests)."""

from firehouse.audit.models import AuditHead, AuditRecord
from firehouse.auth.models import ApiToken, WebSession
from firehouse.catalog.models import Service
from firehouse.idempotency import IdempotencyRecord
from firehouse.incidents.models import (
    ChecklistCheck,
    Counter,
    Incident,
    IncidentService,
    IncidentType,
    Participation,
    RoleAssignment,
    Severity,
    TimelineEntry,
)
from firehouse.people.models import Team, TeamMember, User

__all__ = [
    "ApiToken",
    "AuditHead",
    "AuditRecord",
    "ChecklistCheck",
    "Counter",
    "IdempotencyRecord",
    "Incident",
    "IncidentService",
    "IncidentType",
    "Participation",
    "RoleAssignment",
    "Service",
    "Severity",
    "Team",
    "TeamMember",
    "TimelineEntry",
    "User",
    "WebSession",
]
