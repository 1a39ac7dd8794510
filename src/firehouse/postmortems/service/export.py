"""Export a postmortem as Markdown, or as a standalone print-friendly HTML page."""

from __future__ import annotations

import html

from sqlalchemy.orm import Session

from firehouse import markdown
from firehouse.actor import Actor
from firehouse.people import service as people
from firehouse.postmortems.models import Postmortem
from firehouse.postmortems.service.documents import find, heading_of, render_markdown
from firehouse.postmortems.service.meeting import customer_review_for_export, retrospective_of
from firehouse.postmortems.service.prefill import when

PRINT_CSS = """
body { font: 11pt/1.5 Georgia, 'Times New Roman', serif; max-width: 46em; margin: 2em auto;
       padding: 0 1em; color: #111; }
h1 { font-size: 1.7em; border-bottom: 2px solid #111; padding-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 1.6em; break-after: avoid; }
table { border-collapse: collapse; } td, th { border: 1px solid #999; padding: .2em .6em; }
.meta { color: #555; font-size: .9em; }
pre, code { font-family: Menlo, Consolas, monospace; font-size: .9em; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; } }
"""


def _retrospective_markdown(session: Session, postmortem: Postmortem) -> str:
    meeting = retrospective_of(session, postmortem.id)
    if meeting is None:
        return ""
    handle = (
        people.get_user(session, meeting.facilitator_id).handle if meeting.facilitator_id else "-"
    )
    attendees = ", ".join("@" + people.get_user(session, i).handle for i in meeting.attendee_ids)
    decisions = "\n".join(f"- {d}" for d in meeting.decisions) or "_none recorded_"
    return (
        "## Retrospective meeting\n\n"
        f"- **Held:** {when(meeting.held_at)}\n- **Facilitator:** @{handle}\n"
        f"- **Attendees:** {attendees or '-'}\n\n{meeting.notes.strip()}\n\n"
        f"**Decisions**\n\n{decisions}\n"
    )


def postmortem_markdown(
    session: Session, *, actor: Actor, incident_ref: str | int
) -> tuple[str, str]:
    """(file name, Markdown) of the current text, with the retrospective record."""
    incident, postmortem = find(session, actor=actor, incident_ref=incident_ref)
    status = f"{postmortem.status.value.replace('_', ' ')}, revision {postmortem.revision}"
    body = render_markdown(session, postmortem, incident)
    head, _, rest = body.partition("\n\n")
    text = f"{head}\n\n_Status: {status}_\n\n{rest}"
    retro = _retrospective_markdown(session, postmortem)
    if retro:
        text = text.rstrip("\n") + "\n\n" + retro
    return f"{incident.reference}-postmortem.md", text


def standalone_html(title: str, markdown_text: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{PRINT_CSS}</style></head>\n<body>\n{markdown.render(markdown_text)}</body></html>\n"
    )


def postmortem_html(session: Session, *, actor: Actor, incident_ref: str | int) -> tuple[str, str]:
    incident, postmortem = find(session, actor=actor, incident_ref=incident_ref)
    name, text = postmortem_markdown(session, actor=actor, incident_ref=incident_ref)
    return name.removesuffix(".md") + ".html", standalone_html(
        heading_of(postmortem, incident), text
    )


def customer_review_markdown(
    session: Session, *, actor: Actor, incident_ref: str | int
) -> tuple[str, str]:
    incident, _ = find(session, actor=actor, incident_ref=incident_ref)
    title, text = customer_review_for_export(session, actor=actor, incident_ref=incident_ref)
    return f"{incident.reference}-customer-review.md", f"# {title}\n\n{text.strip()}\n"


def customer_review_html(
    session: Session, *, actor: Actor, incident_ref: str | int
) -> tuple[str, str]:
    name, text = customer_review_markdown(session, actor=actor, incident_ref=incident_ref)
    title = text.splitlines()[0].removeprefix("# ")
    return name.removesuffix(".md") + ".html", standalone_html(title, text)
