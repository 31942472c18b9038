"""Filing a regulatory notification: `/incident filed INC-… early-warning|notification|final [ref=…]`
stops that clock's reminders and keeps the evidence (when, by whom, the authority's reference) on the
ticket's timeline."""

from __future__ import annotations

from puente.i18n import N_, Moment, Phrase, _, format_datetime
from puente.services.context import Context
from puente.services.errors import Conflict, InvalidInput
from puente.services.escalation import regulatory
from puente.services.escalation.service import PageKind, clocks_of
from puente.services.escalation.service import cancel_pages_with_key as stop_reminder
from puente.services.users.service import require_role
from puente.storage.clocks import RegulatoryFiling
from puente.storage.models import Role, Ticket


def file(ctx: Context, ticket: Ticket, stage: str, reference: str | None = None) -> regulatory.Clock:
    """Record that the stage's notification was filed; its clock stops reminding."""
    actor = require_role(ctx, Role.ANALYST, _("recording a regulatory filing"))
    key = stage.strip().lower()
    if key not in regulatory.STAGE_KEYS:
        raise InvalidInput(
            _("Unknown stage {stage!r}: use {value}.").format(stage=stage, value=", ".join(regulatory.STAGE_KEYS))
        )
    clock = next((c for c in clocks_of(ctx, ticket) if c.stage.key == key), None)
    if clock is None:
        raise InvalidInput(
            _("{reference} has no {key} clock under its clock set; nothing to file.").format(
                reference=ticket.reference, key=key
            )
        )
    if clock.filed is not None:
        raise Conflict(
            _("The {name} of {reference} was filed already, at {filed_at} by {filed_by}.").format(
                name=clock.stage.said,
                reference=ticket.reference,
                filed_at=format_datetime(clock.filed.filed_at, year=True),
                filed_by=clock.filed.filed_by,
            )
        )
    now = ctx.now()
    ref = (reference or "").strip()[:200] or None
    ctx.session.add(
        RegulatoryFiling(ticket_id=ticket.id or 0, stage=key, filed_at=now, filed_by=actor.name, reference=ref)
    )
    ctx.session.flush()
    stage_name = Phrase(clock.stage.name)
    filed = Phrase(N_("{stage} filed by {name}"), {"stage": stage_name, "name": actor.name})
    stop_reminder(ctx, ticket, PageKind.DEADLINE, clock.key, filed)
    late = (
        Phrase(N_("{hours} h late"), {"hours": f"{(now - clock.due).total_seconds() / 3600:.1f}"})
        if now > clock.due
        else Phrase(N_("in time"))
    )
    ctx.record(
        action="regulatory-filed",
        ticket_id=ticket.id,
        summary=Phrase(
            N_("{stage} filed ({late}; due {due}){reference}"),
            {
                "stage": stage_name,
                "late": late,
                "due": Moment(clock.due, year=True),
                "reference": Phrase(N_(", authority reference {reference}"), {"reference": ref}) if ref else "",
            },
        ),
        after={"stage": key, "due": clock.due.isoformat(), "reference": ref},
    )
    return next(c for c in clocks_of(ctx, ticket) if c.stage.key == key)
