"""Every request for assistance, ours and peers', by state: the board a duty officer scans for what
waits on whom and until when."""

from __future__ import annotations

from datetime import datetime

from puente.services.assistance.protocol import State
from puente.services.assistance.service import RequestView, expire_if_due, view_of
from puente.services.context import Context
from puente.services.tickets.readers import readable
from puente.storage import assistance as request_store
from puente.storage import tickets as ticket_store

# Closed requests are history: the board keeps the latest few.
CLOSED_SHOWN = 20


def board(ctx: Context) -> dict[State, list[RequestView]]:
    """The requests on tickets the acting person may read, by state in the protocol's order; each state's
    soonest deadline first."""
    reader = readable(ctx, "reading requests for assistance")
    rows = request_store.in_states(ctx.session, [state.value for state in State])
    tickets = ticket_store.by_ids(ctx.session, {row.ticket_id for row in rows})
    columns: dict[State, list[RequestView]] = {state: [] for state in State}
    for row in rows:
        ticket = tickets.get(row.ticket_id)
        if ticket is None or not reader.allows(ticket):
            continue
        expire_if_due(ctx, row)
        columns[State(row.state)].append(view_of(ctx, row))
    for views in columns.values():
        views.sort(key=_soonest)
    columns[State.CLOSED] = sorted(columns[State.CLOSED], key=lambda v: v.request.updated_at, reverse=True)
    del columns[State.CLOSED][CLOSED_SHOWN:]
    return columns


def _soonest(view: RequestView) -> tuple[bool, datetime]:
    """Requests with a deadline (or an ACK due) first, the soonest first; then the oldest."""
    due = view.request.deadline or view.request.ack_due_at
    return due is None, due or view.request.created_at
