"""The postmortems domain's logic. Plain functions taking a Session; no HTTP, no commit."""

from firehouse.postmortems.service.actions import (
    ActionFilter,
    create_action,
    get_action,
    list_actions,
    update_action,
)
from firehouse.postmortems.service.documents import (
    create_postmortem,
    edit_section,
    find,
    regenerate,
    render_markdown,
    sections_of,
)
from firehouse.postmortems.service.export import (
    customer_review_html,
    customer_review_markdown,
    postmortem_html,
    postmortem_markdown,
)
from firehouse.postmortems.service.listing import PostmortemFilter, home_rows, list_postmortems
from firehouse.postmortems.service.meeting import (
    approve_customer_review,
    approved_customer_review,
    record_retrospective,
    retrospective_of,
    update_customer_review,
)
from firehouse.postmortems.service.search import Hit, search
from firehouse.postmortems.service.template_files import TEMPLATES
from firehouse.postmortems.service.workflow import (
    add_reviewer,
    approve,
    missing_for_publishing,
    owner_of,
    publish,
    remove_reviewer,
    reviewers_of,
    revisions,
    submit_for_review,
    update_postmortem,
)

__all__ = [
    "TEMPLATES",
    "ActionFilter",
    "Hit",
    "PostmortemFilter",
    "add_reviewer",
    "approve",
    "approve_customer_review",
    "approved_customer_review",
    "create_action",
    "create_postmortem",
    "customer_review_html",
    "customer_review_markdown",
    "edit_section",
    "find",
    "get_action",
    "home_rows",
    "list_actions",
    "list_postmortems",
    "missing_for_publishing",
    "owner_of",
    "postmortem_html",
    "postmortem_markdown",
    "publish",
    "record_retrospective",
    "regenerate",
    "remove_reviewer",
    "render_markdown",
    "retrospective_of",
    "reviewers_of",
    "revisions",
    "search",
    "sections_of",
    "submit_for_review",
    "update_action",
    "update_customer_review",
    "update_postmortem",
]
