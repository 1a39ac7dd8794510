"""Stakeholder updates, their cadence, stakeholder lists and follows. Plain functions taking
a Session; no HTTP, no commit."""

from firehouse.updates.service.audiences import create_list, delete_list, list_lists, update_list
from firehouse.updates.service.cadence import (
    CadenceWork,
    Overdue,
    cadence_candidates,
    cadence_work,
    home_rows,
    next_cadence_check,
    overdue_updates,
    run_cadence,
)
from firehouse.updates.service.follows import (
    FollowView,
    follow,
    followers_have_news,
    list_follows,
    tell_followers,
    unfollow,
)
from firehouse.updates.service.sending import Draft, due_at, list_updates, send_update
from firehouse.updates.service.templates import TEMPLATES

__all__ = [
    "TEMPLATES",
    "CadenceWork",
    "Draft",
    "FollowView",
    "Overdue",
    "cadence_candidates",
    "cadence_work",
    "create_list",
    "delete_list",
    "due_at",
    "follow",
    "followers_have_news",
    "home_rows",
    "list_follows",
    "list_lists",
    "list_updates",
    "next_cadence_check",
    "overdue_updates",
    "run_cadence",
    "send_update",
    "tell_followers",
    "unfollow",
    "update_list",
]
