"""The incident domain's logic. Plain functions taking a Session; no HTTP, no commit."""

from firehouse.incidents.service.access import get_incident, visible_to
from firehouse.incidents.service.checklist import check_item, checklist, uncheck_item
from firehouse.incidents.service.config import (
    create_severity,
    ensure_defaults,
    find_severity,
    find_type,
    list_severities,
    list_types,
    update_severity,
)
from firehouse.incidents.service.editing import edit_milestones, update_fields
from firehouse.incidents.service.lifecycle import (
    TRANSITIONS,
    allowed_actions,
    declare,
    merge,
    transition,
)
from firehouse.incidents.service.queries import IncidentFilter, list_incidents
from firehouse.incidents.service.roles import (
    assign_role,
    current_roles,
    join,
    leave,
    participants,
    role_history,
    unassign_role,
)
from firehouse.incidents.service.timeline import add_note, set_pinned, timeline

__all__ = [
    "TRANSITIONS",
    "IncidentFilter",
    "add_note",
    "allowed_actions",
    "assign_role",
    "check_item",
    "checklist",
    "create_severity",
    "current_roles",
    "declare",
    "edit_milestones",
    "ensure_defaults",
    "find_severity",
    "find_type",
    "get_incident",
    "join",
    "leave",
    "list_incidents",
    "list_severities",
    "list_types",
    "merge",
    "participants",
    "role_history",
    "set_pinned",
    "timeline",
    "transition",
    "unassign_role",
    "uncheck_item",
    "update_fields",
    "update_severity",
    "visible_to",
]
