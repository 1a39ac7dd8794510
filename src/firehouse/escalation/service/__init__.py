"""The escalation domain's logic: policies, and escalations running from them."""

from firehouse.escalation.service.paging import Pager
from firehouse.escalation.service.policies import (
    PolicySpec,
    StepSpec,
    TargetSpec,
    check_user_removable,
    create_policy,
    delete_policy,
    describe,
    get_policy,
    list_policies,
    policies_referencing_user,
    policy_snapshot,
    set_service_policy,
    update_policy,
)
from firehouse.escalation.service.running import (
    active_escalations,
    escalations_of,
    page_for_incident,
    policy_for_incident,
    stop_for_incident,
)
from firehouse.escalation.service.unacknowledged import home_rows

__all__ = [
    "Pager",
    "PolicySpec",
    "StepSpec",
    "TargetSpec",
    "active_escalations",
    "check_user_removable",
    "create_policy",
    "delete_policy",
    "describe",
    "escalations_of",
    "get_policy",
    "home_rows",
    "list_policies",
    "page_for_incident",
    "policies_referencing_user",
    "policy_for_incident",
    "policy_snapshot",
    "set_service_policy",
    "stop_for_incident",
    "update_policy",
]
