"""Notes on a ticket: what people write about it, recorded in the language they write it in (sent to
peers as STIX `lang`, so a reader in another language sees which it is)."""

from __future__ import annotations

import uuid

from puente import i18n
from puente.i18n import Written, _
from puente.services.context import Context
from puente.services.errors import InvalidInput
from puente.services.tickets.readers import check_readable
from puente.services.tickets.service import get, snapshot, touch
from puente.services.users.service import require_role
from puente.storage.models import Role, TicketNote


def add_note(ctx: Context, reference: str, text: str) -> TicketNote:
    require_role(ctx, Role.ONCALL, _("adding a note"))
    if not text.strip():
        raise InvalidInput(_("A note needs text: /incident note INC-… <what happened>"))
    ticket = get(ctx, reference)
    check_readable(ctx, ticket, "adding a note")
    note = TicketNote(
        ticket_id=ticket.id or 0,
        note_id=f"note--{uuid.uuid4()}",
        author=ctx.who,
        text=text.strip(),
        language=i18n.current(),  # whoever types a note writes in the language they read Puente in
        created_at=ctx.now(),
    )
    ctx.session.add(note)
    touch(ctx, ticket, "noted", Written(note.text[:200], note.language), snapshot(ticket))
    return note
