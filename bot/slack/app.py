"""The Slack adapter: `/incident`, its buttons and the new-ticket modal, through slack-bolt.

Every listener acknowledges first (Slack gives three seconds) and does the work in a lazy listener,
which runs the command core in a worker thread (the core is synchronous and talks to the database).
Every Web API call, start-up included (auth.test, apps.connections.open), goes to SLACK_API_URL.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import Command, split_command
from bot.core import CommandCore
from bot.replies import Reply
from bot.slack.blocks import CHOOSE_ACTION, RUN_ACTION, Message, render_reply
from bot.slack.modal import CALLBACK_ID, new_ticket_command, new_ticket_view
from puente.settings import Settings
from services import users
from services.context import Runtime
from services.errors import Unauthenticated

log = logging.getLogger(__name__)

PLATFORM = "slack"
# A response_url takes at most five messages; a reply longer than that is cut with a pointer.
MAX_RESPONSES = 5


def api_url(settings: Settings) -> str:
    """slack_sdk joins method names onto the base URL, which therefore needs its trailing slash."""
    return settings.slack_api_url.rstrip("/") + "/"


def _limit(messages: list[Message], reply: Reply) -> list[Message]:
    if len(messages) <= MAX_RESPONSES:
        return messages
    kept = messages[: MAX_RESPONSES - 1]
    command = f"puente say --as NAME 'timeline {reply.ticket}'" if reply.ticket else "puente console"
    note = f"… {len(messages) - len(kept)} more part(s) are too long for Slack; {command} prints everything."
    return [*kept, *render_reply(Reply(text=note))]


class SlackAdapter:
    """Owns the bolt app; `core` runs the commands, `runtime` answers who a Slack user is."""

    def __init__(self, runtime: Runtime, core: CommandCore | None = None) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.core = core or CommandCore(runtime)
        self.client = AsyncWebClient(token=settings.slack_bot_token, base_url=api_url(settings))
        self.app = AsyncApp(
            client=self.client,
            signing_secret=settings.slack_signing_secret or None,
            # Socket Mode alone needs no signing secret; HTTP is only mounted when there is one.
            request_verification_enabled=bool(settings.slack_signing_secret),
            process_before_response=False,
        )
        self.app.command("/incident")(ack=self._ack, lazy=[self._slash_command])
        self.app.action(re.compile(rf"^{re.escape(RUN_ACTION)}\."))(ack=self._ack, lazy=[self._button])
        self.app.action(re.compile(rf"^{re.escape(CHOOSE_ACTION)}\."))(ack=self._ack, lazy=[self._button])
        self.app.view(CALLBACK_ID)(ack=self._check_submission, lazy=[self._open_from_submission])
        self.http = AsyncSlackRequestHandler(self.app)

    async def _ack(self, ack: AsyncAck) -> None:
        await ack()

    async def _run(self, text: str, user_id: str, channel_id: str | None) -> Reply:
        command = Command(text=text, platform=PLATFORM, user_id=user_id, channel_id=channel_id)
        return await asyncio.to_thread(self.core.handle, command)

    async def _respond(self, respond: AsyncRespond, reply: Reply) -> None:
        """In the channel for the team to see; errors and help only to the person who asked."""
        response_type = "ephemeral" if reply.private or not reply.ok else "in_channel"
        for message in _limit(render_reply(reply), reply):
            await respond(text=message["text"], blocks=message["blocks"], response_type=response_type, replace_original=False)

    async def _slash_command(self, body: dict[str, Any], respond: AsyncRespond) -> None:
        text = str(body.get("text") or "").strip()
        user_id, channel_id = str(body["user_id"]), body.get("channel_id")
        name, rest = split_command(text)
        if name == "new" and not rest:
            refusal = await asyncio.to_thread(self._refusal, user_id)
            if refusal is not None:
                await self._respond(respond, refusal)
                return
            await self.client.views_open(trigger_id=body["trigger_id"], view=new_ticket_view(channel_id))
            return
        await self._respond(respond, await self._run(text, user_id, channel_id))

    def _refusal(self, user_id: str) -> Reply | None:
        """Unknown people get the core's refusal before filling in a form they could not submit."""
        try:
            with self.runtime.unit_of_work() as ctx:
                users.identify(ctx, PLATFORM, user_id)
        except Unauthenticated as error:
            return Reply.error(str(error))
        return None

    async def _button(self, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        command = action["selected_option"]["value"] if "selected_option" in action else action["value"]
        channel_id = (body.get("channel") or {}).get("id")
        await self._respond(respond, await self._run(command, body["user"]["id"], channel_id))

    async def _check_submission(self, ack: AsyncAck, view: dict[str, Any]) -> None:
        submission = new_ticket_command(view["state"]["values"])
        if submission.errors:
            await ack(response_action="errors", errors=submission.errors)
        else:
            await ack()

    async def _open_from_submission(self, body: dict[str, Any], view: dict[str, Any]) -> None:
        submission = new_ticket_command(view["state"]["values"])
        if submission.command is None:
            return  # the errors are already next to the fields
        user_id = body["user"]["id"]
        channel_id = view.get("private_metadata") or None
        reply = await self._run(submission.command, user_id, channel_id)
        for message in render_reply(reply):
            if reply.ok and not reply.private and channel_id:
                await self.client.chat_postMessage(channel=channel_id, text=message["text"], blocks=message["blocks"])
            elif channel_id:
                await self.client.chat_postEphemeral(channel=channel_id, user=user_id, text=message["text"], blocks=message["blocks"])
            else:
                await self.client.chat_postMessage(channel=user_id, text=message["text"], blocks=message["blocks"])

    def socket_mode(self) -> AsyncSocketModeHandler:
        """The Socket Mode connection (SLACK_APP_TOKEN); apps.connections.open goes through `client`."""
        return AsyncSocketModeHandler(self.app, self.runtime.settings.slack_app_token, web_client=self.client)
