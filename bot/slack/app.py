"""The Slack adapter: `/incident`, its buttons and the new-ticket modal, through slack-bolt.

Slack wants an acknowledgement within three seconds. Each listener acknowledges first and hands
the work (the command core, which is synchronous and talks to the database, then the reply to
Slack) to a small pool of threads, so the event loop only ever verifies, acknowledges and queues.
Bolt's lazy listeners would do the same on the event loop itself, where the work of twenty
concurrent commands delays the acknowledgements of the others (measured in bench/slack_ack.py).
Every Web API call, start-up included (auth.test, apps.connections.open), goes to SLACK_API_URL.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookClient

from puente import i18n
from puente.bot.commands import Command, split_command
from puente.bot.core import CommandCore
from puente.bot.replies import Reply
from puente.bot.slack import PLATFORM
from puente.bot.slack.blocks import CHOOSE_ACTION, RUN_ACTION, Message, render_reply
from puente.bot.slack.modal import CALLBACK_ID, Opened, new_ticket_command, new_ticket_view
from puente.i18n import ngettext
from puente.services.context import Runtime
from puente.services.errors import Unauthenticated
from puente.services.users import service as users
from puente.settings import Settings

log = logging.getLogger(__name__)

# A response_url takes at most five messages; a reply longer than that is cut with a pointer.
MAX_RESPONSES = 5
# Enough to overlap database and Slack round trips; few enough to leave the event loop its share of the GIL.
WORK_THREADS = 2


def api_url(settings: Settings) -> str:
    """slack_sdk joins method names onto the base URL, which therefore needs its trailing slash."""
    return settings.slack_api_url.rstrip("/") + "/"


def _limit(messages: list[Message], reply: Reply) -> list[Message]:
    if len(messages) <= MAX_RESPONSES:
        return messages
    kept = messages[: MAX_RESPONSES - 1]
    command = f"puente say --as NAME 'timeline {reply.ticket}'" if reply.ticket else "puente console"
    left = len(messages) - len(kept)
    with i18n.language(reply.language):
        note = ngettext(
            "… {count} more part is too long for Slack; {command} prints everything.",
            "… {count} more parts are too long for Slack; {command} prints everything.",
            left,
        ).format(count=left, command=command)
        return [*kept, *render_reply(Reply(text=note))]


def request_key(request: AsyncBoltRequest) -> str:
    """What makes a Slack request the same one again: an event's id, which Slack keeps when it retries
    (X-Slack-Retry-Num), else the digest of the request itself. Every slash command, button press and
    form submission carries a trigger id of its own, so only a repeat of the very same request (a
    replay of a signed one within its five minutes included) has the same digest."""
    event_id = request.body.get("event_id")
    if event_id:
        return f"event:{event_id}"
    raw = request.raw_body or json.dumps(request.body, sort_keys=True)  # Socket Mode hands over the parsed body
    return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()


class SlackAdapter:
    """Owns the bolt app; `core` runs the commands, `runtime` answers who a Slack user is."""

    def __init__(self, runtime: Runtime, core: CommandCore | None = None) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.core = core or CommandCore(runtime)
        # What the typed words name: `/incident nuevo` alone opens the new-ticket form like `new`.
        self.registry = self.core.registry
        self.client = AsyncWebClient(token=settings.slack_bot_token, base_url=api_url(settings))
        self.web = WebClient(token=settings.slack_bot_token, base_url=api_url(settings), timeout=10)
        self.app = AsyncApp(
            client=self.client,
            signing_secret=settings.slack_signing_secret or None,
            # Socket Mode alone needs no signing secret; HTTP is only mounted when there is one.
            request_verification_enabled=bool(settings.slack_signing_secret),
            # The listeners below only acknowledge and queue, so the response can wait for them.
            process_before_response=True,
        )
        self.app.command("/incident")(self._slash_command)
        self.app.action(re.compile(rf"^{re.escape(RUN_ACTION)}\."))(self._button)
        self.app.action(re.compile(rf"^{re.escape(CHOOSE_ACTION)}\."))(self._button)
        self.app.view(CALLBACK_ID)(self._submission)
        self.http = AsyncSlackRequestHandler(self.app)
        self._work = ThreadPoolExecutor(WORK_THREADS, thread_name_prefix="slack-work")
        # Each person's Slack locale, asked once (both work threads may serve one person at a time): what they
        # read when they chose no language in Puente.
        self._locales: dict[str, str | None] = {}
        self._asking = threading.Lock()

    def close(self) -> None:
        """Finish the queued work (replies still owed to Slack) and stop the threads."""
        self._work.shutdown(wait=True)

    def _later(self, work: Callable[..., None], *args: Any) -> None:
        def report(done: Future[None]) -> None:
            if (error := done.exception()) is not None:
                log.error("Slack work %s failed", work.__name__, exc_info=error)

        self._work.submit(work, *args).add_done_callback(report)

    # listeners: on the event loop, acknowledge and queue -------------------------------------
    async def _slash_command(self, ack: AsyncAck, body: dict[str, Any], request: AsyncBoltRequest) -> None:
        await ack()
        self._later(self._run_slash_command, body, request_key(request))

    async def _button(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], request: AsyncBoltRequest
    ) -> None:
        await ack()
        self._later(self._run_button, body, action, request_key(request))

    async def _submission(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], request: AsyncBoltRequest
    ) -> None:
        opened = Opened.from_metadata(view.get("private_metadata"), self.runtime.settings.language)
        submission = new_ticket_command(view["state"]["values"], opened.language)
        if submission.command is None:
            await ack(response_action="errors", errors=submission.errors)
            return
        await ack()
        self._later(self._open_from_submission, body["user"]["id"], opened, submission.command, request_key(request))

    # work: in the pool's threads ------------------------------------------------------------
    def _run(
        self, text: str, user_id: str, channel_id: str | None, delivery: str, language: str | None = None
    ) -> Reply | None:
        """The command's reply; None when Slack delivered this request before (it was answered then).
        `language`: the one the person was reading (a modal's), else their Slack locale is the hint."""
        command = Command(
            text=text,
            platform=PLATFORM,
            user_id=user_id,
            channel_id=channel_id,
            delivery=delivery,
            language_hint=language or self._locale(user_id),
        )
        return self.core.handle_once(command)

    def _locale(self, user_id: str) -> str | None:
        """The locale Slack shows this person in (users.info, include_locale), asked once per person; None
        when Slack will not say (a missing users:read scope), so they read Puente's language meanwhile."""
        with self._asking:
            if user_id not in self._locales:
                try:
                    answer = self.web.users_info(user=user_id, include_locale=True)
                except (SlackApiError, SlackClientError, OSError) as error:
                    log.warning("Slack did not say %s's locale: %s", user_id, error)
                    return None
                user = answer.get("user") or {}
                self._locales[user_id] = user.get("locale") if isinstance(user, dict) else None
            return self._locales[user_id]

    def _respond(self, response_url: str, reply: Reply | None, channel_id: str | None = None) -> None:
        """In the channel for the team to see; errors and help only to the person who asked; an
        attached report is uploaded to the channel as a file."""
        if reply is None:
            return
        response_type = "ephemeral" if reply.private or not reply.ok else "in_channel"
        webhook = WebhookClient(response_url, timeout=10)
        for message in _limit(render_reply(reply), reply):
            sent = webhook.send(
                text=message["text"], blocks=message["blocks"], response_type=response_type, replace_original=False
            )
            if sent.status_code != 200:
                log.error("Slack refused a reply (%s): %s", sent.status_code, sent.body)
        if reply.ok and reply.attachment is not None and channel_id:
            attached = reply.attachment
            self.web.files_upload_v2(
                channel=channel_id, content=attached.content, filename=attached.name, title=attached.name
            )

    def _run_slash_command(self, body: dict[str, Any], delivery: str) -> None:
        text = str(body.get("text") or "").strip()
        user_id, channel_id = str(body["user_id"]), body.get("channel_id")
        name, rest = split_command(text)
        subcommand = self.registry.find(name) if name else None
        if subcommand is not None and subcommand.name == "new" and not rest:  # `new`, `nuevo`, `novo`, `nouveau`…
            language, refusal = self._reader(user_id)
            if refusal is not None:
                self._respond(body["response_url"], refusal)
            else:
                opened = Opened(channel_id, language)
                self.web.views_open(trigger_id=body["trigger_id"], view=new_ticket_view(opened))
            return
        self._respond(body["response_url"], self._run(text, user_id, channel_id, delivery), channel_id)

    def _reader(self, user_id: str) -> tuple[str, Reply | None]:
        """The language a person reads (their own choice, else their Slack locale, else Puente's), and for a
        stranger the core's refusal, given before they fill in a form they could not submit."""
        hint, default = self._locale(user_id), self.runtime.settings.language
        with i18n.language(i18n.choose(None, hint, default)) as language:
            try:
                with self.runtime.unit_of_work() as ctx:
                    chosen = users.identify(ctx, PLATFORM, user_id).language
            except Unauthenticated as error:
                return language, Reply.error(str(error))
            return i18n.choose(chosen, hint, default), None

    def _run_button(self, body: dict[str, Any], action: dict[str, Any], delivery: str) -> None:
        command = action["selected_option"]["value"] if "selected_option" in action else action["value"]
        channel_id = (body.get("channel") or {}).get("id")
        self._respond(body["response_url"], self._run(command, body["user"]["id"], channel_id, delivery), channel_id)

    def _open_from_submission(self, user_id: str, opened: Opened, command: str, delivery: str) -> None:
        channel_id = opened.channel_id
        reply = self._run(command, user_id, channel_id, delivery, opened.language)
        if reply is None:
            return
        for message in render_reply(reply):
            if reply.ok and not reply.private and channel_id:
                self.web.chat_postMessage(channel=channel_id, text=message["text"], blocks=message["blocks"])
            elif channel_id:
                self.web.chat_postEphemeral(
                    channel=channel_id, user=user_id, text=message["text"], blocks=message["blocks"]
                )
            else:
                self.web.chat_postMessage(channel=user_id, text=message["text"], blocks=message["blocks"])

    def socket_mode(self) -> AsyncSocketModeHandler:
        """The Socket Mode connection (SLACK_APP_TOKEN); apps.connections.open goes through `client`."""
        return AsyncSocketModeHandler(self.app, self.runtime.settings.slack_app_token, web_client=self.client)
