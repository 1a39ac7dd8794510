"""The alerts domain's logic. Plain functions taking a Session; no HTTP, no commit (the
group-commit writer in `writer` owns its own transactions)."""

from firehouse.alerts.service.changes import changes_for_incident, list_changes, record_change
from firehouse.alerts.service.fingerprint import label_fingerprint
from firehouse.alerts.service.heartbeats import (
    check_heartbeats,
    create_heartbeat,
    delete_heartbeat,
    list_heartbeats,
    ping,
)
from firehouse.alerts.service.home import (
    home_change_rows,
    home_rows,
    incident_change_rows,
    incident_rows,
    visible_alerts,
)
from firehouse.alerts.service.inputs import AlertInput, IntegrationInfo, Outcome
from firehouse.alerts.service.integrations import (
    authenticate,
    create_integration,
    get_integration,
    list_integrations,
    revoke_integration,
    update_integration,
)
from firehouse.alerts.service.routing import create_rule, delete_rule, list_rules, update_rule
from firehouse.alerts.service.silences import (
    create_maintenance,
    create_silence,
    end_maintenance,
    expire_silence,
    list_maintenance,
    list_silences,
)
from firehouse.alerts.service.storm import release_storm
from firehouse.alerts.service.writer import Intake

__all__ = [
    "AlertInput",
    "Intake",
    "IntegrationInfo",
    "Outcome",
    "authenticate",
    "changes_for_incident",
    "check_heartbeats",
    "create_heartbeat",
    "create_integration",
    "create_maintenance",
    "create_rule",
    "create_silence",
    "delete_heartbeat",
    "delete_rule",
    "end_maintenance",
    "expire_silence",
    "get_integration",
    "home_change_rows",
    "home_rows",
    "incident_change_rows",
    "incident_rows",
    "label_fingerprint",
    "list_changes",
    "list_heartbeats",
    "list_integrations",
    "list_maintenance",
    "list_rules",
    "list_silences",
    "ping",
    "record_change",
    "release_storm",
    "revoke_integration",
    "update_integration",
    "update_rule",
    "visible_alerts",
]
