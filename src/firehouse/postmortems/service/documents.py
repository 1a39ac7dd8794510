"""The postmortem document: made from a template, stored as sections, pre-filled from the
incident record without ever overwriting what people wrote."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.audit import service as audit
from firehouse.errors import Conflict, Invalid, NotFound
from firehouse.incidents import service as incidents
from firehouse.incidents.models import Incident, IncidentRole
from firehouse.incidents.service.roles import current_holder
from firehouse.people import service as people
from firehouse.postmortems.models import (
    Postmortem,
    PostmortemReviewer,
    PostmortemSection,
    PostmortemStatus,
)
from firehouse.postmortems.service import prefill, template_files

MAX_SECTION = 200_000


def find(session: Session, *, actor: Actor, incident_ref: str | int) -> tuple[Incident, Postmortem]:
    incident = incidents.get_incident(session, actor, incident_ref)
    postmortem = session.scalar(select(Postmortem).where(Postmortem.incident_id == incident.id))
    if postmortem is None:
        raise NotFound(f"{incident.reference} has no postmortem yet")
    return incident, postmortem


def for_update(
    session: Session, *, actor: Actor, incident_ref: str | int
) -> tuple[Incident, Postmortem]:
    require_writer(actor)
    incident = incidents.get_incident(session, actor, incident_ref, for_update=True)
    postmortem = session.scalar(
        select(Postmortem).where(Postmortem.incident_id == incident.id).with_for_update()
    )
    if postmortem is None:
        raise NotFound(f"{incident.reference} has no postmortem yet")
    return incident, postmortem


def sections_of(session: Session, postmortem_id: int) -> list[PostmortemSection]:
    query = (
        select(PostmortemSection)
        .where(PostmortemSection.postmortem_id == postmortem_id)
        .order_by(PostmortemSection.position)
    )
    return list(session.scalars(query).all())


def heading_of(postmortem: Postmortem, incident: Incident) -> str:
    template = template_files.load(postmortem.template)
    values = {"reference": incident.reference, "title": incident.title}
    return template_files.fill(template.heading, values)


def refresh_search_text(session: Session, postmortem: Postmortem, incident: Incident) -> None:
    parts = [heading_of(postmortem, incident)]
    for section in sections_of(session, postmortem.id):
        parts += [section.title, section.body]
    parts.append(postmortem.customer_text)
    postmortem.search_text = "\n".join(p for p in parts if p)


def sync_due(postmortem: Postmortem, incident: Incident) -> None:
    """Due `postmortem_due_days` after resolution; the reminder timer follows the due date."""
    due = prefill.due_after(incident.resolved_at, incident.severity.postmortem_due_days)
    if postmortem.due_at is None and due is not None:
        postmortem.due_at = due
    if postmortem.status == PostmortemStatus.published or postmortem.due_at is None:
        postmortem.next_reminder_at = None
    elif postmortem.next_reminder_at is None:
        postmortem.next_reminder_at = postmortem.due_at


def create_postmortem(
    session: Session,
    *,
    actor: Actor,
    incident_ref: str | int,
    template: str | None = None,
    owner: str | None = None,
) -> Postmortem:
    require_writer(actor)
    incident = incidents.get_incident(session, actor, incident_ref, for_update=True)
    if session.scalar(select(Postmortem.id).where(Postmortem.incident_id == incident.id)):
        raise Conflict(f"{incident.reference} already has a postmortem")
    key = template or template_files.choose(
        type_key=incident.type.key, postmortem_required=incident.severity.postmortem_required
    )
    spec = template_files.load(key)
    if owner is not None:
        owner_id: int | None = people.find_user(session, owner, field="owner").id
    else:
        leader = current_holder(session, incident.id, IncidentRole.retrospective_leader)
        owner_id = leader.user_id if leader else None
    now = clock.now(session)
    postmortem = Postmortem(
        incident_id=incident.id,
        template=key,
        status=PostmortemStatus.draft,
        owner_id=owner_id,
        revision=1,
        search_text="",
        customer_text="",
        created_at=now,
        updated_at=now,
    )
    session.add(postmortem)
    session.flush()
    values = prefill.facts(session, actor=actor, incident=incident)
    for position, section in enumerate(spec.sections):
        generated = template_files.fill(section.text, values) if section.prefill else ""
        session.add(
            PostmortemSection(
                postmortem_id=postmortem.id,
                key=section.key,
                title=section.title,
                position=position,
                guidance="" if section.prefill else section.text,
                required=section.required,
                prefilled=section.prefill,
                internal=not section.public,
                generated=generated,
                body=generated,
                edited=False,
                updated_at=now,
            )
        )
    session.flush()
    sync_due(postmortem, incident)
    refresh_search_text(session, postmortem, incident)
    audit.record(
        session,
        actor=actor,
        action="postmortem.create",
        target_type="incident",
        target_id=incident.reference,
        after={"template": key, "owner_id": owner_id},
    )
    return postmortem


def regenerate(session: Session, *, actor: Actor, incident_ref: str | int) -> Postmortem:
    """Re-read the record into the pre-filled sections nobody has edited; edited ones keep
    their text and only learn what the record says now (`generated`)."""
    incident, postmortem = for_update(session, actor=actor, incident_ref=incident_ref)
    spec = {s.key: s for s in template_files.load(postmortem.template).sections}
    values = prefill.facts(session, actor=actor, incident=incident)
    changed = []
    for section in sections_of(session, postmortem.id):
        source = spec.get(section.key)
        if not section.prefilled or source is None:
            continue
        section.generated = template_files.fill(source.text, values)
        if not section.edited and section.body != section.generated:
            _begin_edit(session, postmortem, actor)
            section.body = section.generated
            changed.append(section.key)
    sync_due(postmortem, incident)
    refresh_search_text(session, postmortem, incident)
    postmortem.updated_at = clock.now(session)
    audit.record(
        session,
        actor=actor,
        action="postmortem.regenerate",
        target_type="incident",
        target_id=incident.reference,
        after={"sections": changed},
    )
    return postmortem


def _begin_edit(session: Session, postmortem: Postmortem, actor: Actor) -> None:
    """Editing a published postmortem starts the next revision (a draft again); any edit
    withdraws the approvals given, which were for the text as it was."""
    if postmortem.status == PostmortemStatus.published:
        postmortem.revision += 1
        postmortem.status = PostmortemStatus.draft
        postmortem.next_reminder_at = None
    session.execute(
        update(PostmortemReviewer)
        .where(PostmortemReviewer.postmortem_id == postmortem.id)
        .values(approved_revision=None, approved_at=None)
    )


def edit_section(
    session: Session,
    *,
    actor: Actor,
    incident_ref: str | int,
    key: str,
    body: str,
    title: str | None = None,
) -> PostmortemSection:
    if len(body) > MAX_SECTION:
        raise Invalid(f"a section is at most {MAX_SECTION} characters", field="body")
    incident, postmortem = for_update(session, actor=actor, incident_ref=incident_ref)
    section = session.scalar(
        select(PostmortemSection).where(
            PostmortemSection.postmortem_id == postmortem.id, PostmortemSection.key == key
        )
    )
    if section is None:
        keys = [s.key for s in sections_of(session, postmortem.id)]
        raise NotFound(f"no section {key!r}", details={"field": "key", "sections": keys})
    before = {"title": section.title, "body": section.body, "revision": postmortem.revision}
    if body == section.body and (title is None or title == section.title):
        return section
    _begin_edit(session, postmortem, actor)
    now = clock.now(session)
    section.body = body
    if title is not None and title.strip():
        section.title = title.strip()
    # a pre-filled section edited back to what the record says follows the record again
    section.edited = not (section.prefilled and body == section.generated)
    section.updated_by_id = actor.user_id
    section.updated_at = now
    postmortem.updated_at = now
    refresh_search_text(session, postmortem, incident)
    audit.record(
        session,
        actor=actor,
        action="postmortem.section.edit",
        target_type="incident",
        target_id=incident.reference,
        before={"section": key, **before},
        after={
            "section": key,
            "title": section.title,
            "body": body,
            "revision": postmortem.revision,
        },
    )
    return section


def render_markdown(
    session: Session, postmortem: Postmortem, incident: Incident, *, internal: bool = True
) -> str:
    parts = [f"# {heading_of(postmortem, incident)}"]
    for section in sections_of(session, postmortem.id):
        if section.internal and not internal:
            continue
        parts.append(f"## {section.title}\n\n{section.body.strip() or '_(empty)_'}")
    return "\n\n".join(parts) + "\n"
