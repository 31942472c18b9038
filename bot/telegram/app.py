"""The python-telegram-bot Application: /incident, /start, /help and button presses.

Every handler hands the synchronous command core to a worker thread (`asyncio.to_thread`), so a
slow database never stalls the event loop that also serves the webhook and TAXII.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    filters,
)

from puente import i18n
from puente.bot.commands import Command
from puente.bot.core import CommandCore
from puente.bot.replies import Button, Reply
from puente.bot.telegram import PLATFORM, buttons
from puente.bot.telegram.buttons import PressedButton
from puente.bot.telegram.flood import obeying_flood_control
from puente.bot.telegram.render import (
    CANCEL,
    ON_PROMPT,
    ON_REPLY,
    TelegramMessage,
    keyboard,
    render,
    render_single,
    stored_buttons,
)
from puente.i18n import _
from puente.services.context import Runtime
from puente.services.errors import PuenteError
from puente.services.users import service as users

log = logging.getLogger(__name__)

ALERT_LIMIT = 200  # characters Telegram shows in a callback query's answer
ALLOWED_UPDATES = ["message", "callback_query"]


def file_base_url(api_url: str) -> str:
    """The Bot API's file base next to its method base: …/bot -> …/file/bot."""
    root = api_url.rstrip("/").removesuffix("/bot")
    return f"{root}/file/bot"


def delivery(update: Update) -> str:
    """The update's key: Telegram numbers the updates of each bot, and re-sends an update (same id)
    until the webhook answers it."""
    return f"{update.get_bot().id}:{update.update_id}"


def _short(text: str) -> str:
    return text if len(text) <= ALERT_LIMIT else text[: ALERT_LIMIT - 1] + "…"


class TelegramAdapter:
    """Turns updates into Commands for the core, and Replies into HTML messages with inline keyboards."""

    def __init__(self, runtime: Runtime, core: CommandCore) -> None:
        self.runtime = runtime
        self.core = core

    def handlers(self) -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
        # Only new messages: an edited "/incident close …" must not run a second time.
        new_messages = filters.UpdateType.MESSAGE
        return [
            CommandHandler("incident", self.incident, filters=new_messages),
            CommandHandler(["start", "help"], self.help, filters=new_messages),
            CallbackQueryHandler(self.button),
        ]

    async def incident(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None  # CommandHandler only passes text commands
        await self._run(update, message, message.text)

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        # /start carries a deep-link payload, not a subcommand; /help SUBCOMMAND asks about one.
        topic = " ".join(context.args or []) if message.text and message.text.startswith("/help") else ""
        await self._run(update, message, f"/incident help {topic}".strip())

    async def _run(self, update: Update, message: Message, text: str) -> None:
        sender = message.from_user
        if sender is None:  # channel posts have no person behind them
            return
        command = Command(
            text=text,
            platform=PLATFORM,
            user_id=str(sender.id),
            channel_id=str(message.chat.id),
            delivery=delivery(update),
            language_hint=sender.language_code,
        )
        reply = await asyncio.to_thread(self.core.handle_once, command)
        if reply is None:  # Telegram sent this update before, and it was answered then
            return
        if reply.secret and message.chat.type != ChatType.PRIVATE:
            with i18n.language(reply.language):
                reply = Reply.error(_("That answer is for you alone: ask me in a private chat with the bot."))
        await self.send(message.get_bot(), message.chat.id, reply, reply_to=message.message_id)

    async def send(self, bot: Bot, chat_id: int | str, reply: Reply, reply_to: int | None = None) -> list[Message]:
        """Post a reply, split as Telegram requires, quoting the message it answers. Telegram has no
        messages only one member of a group can see, so a private reply (a refusal, help) is posted
        like any other; refusals of button presses are the exception: they go to the presser alone."""
        parts = await asyncio.to_thread(self._render, reply)
        quote = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        sent = []
        for part in parts:
            post = partial(bot.send_message, chat_id, part.html, reply_markup=part.keyboard, reply_parameters=quote)
            sent.append(await obeying_flood_control(post))
        if reply.ok and reply.attachment is not None:
            document = InputFile(reply.attachment.content, filename=reply.attachment.name)
            upload = partial(bot.send_document, chat_id, document, reply_parameters=quote)
            sent.append(await obeying_flood_control(upload))
        return sent

    def _render(self, reply: Reply) -> list[TelegramMessage]:
        with self.runtime.unit_of_work() as ctx:
            return render(reply, stored_buttons(ctx))

    def _render_single(self, reply: Reply) -> TelegramMessage:
        with self.runtime.unit_of_work() as ctx:
            return render_single(reply, stored_buttons(ctx))

    def _language(self, telegram_id: str, hint: str | None) -> str:
        """What the person who pressed reads: their own choice, else their Telegram app's, else Puente's."""
        with self.runtime.reading() as ctx:
            person = users.known(ctx, PLATFORM, telegram_id)
            chosen = person.language if person else None
        return i18n.choose(chosen, hint, self.runtime.settings.language)

    def _press(self, token: str, telegram_id: str, hint: str | None) -> tuple[PressedButton, str]:
        """The pressed button and the presser's language; a refusal is raised in the language."""
        default = self.runtime.settings.language
        with i18n.language(i18n.choose(None, hint, default)), self.runtime.unit_of_work() as ctx:
            # Refuse strangers before showing them any confirm or picker.
            person = users.identify(ctx, PLATFORM, telegram_id)
            spoken = i18n.switch(i18n.choose(person.language, hint, default), person.timezone)
            return buttons.press(ctx, token), spoken

    def _prompt(self, pressed: PressedButton, language: str) -> list[TelegramMessage]:
        """A confirm (Confirm / Cancel) or a picker (one key per choice) for a pressed button, its keys,
        choices and question in the presser's language (in a group, not always that of the one who asked)."""
        with i18n.language(language):
            if pressed.choices:
                keys = [Button(str(label), f"{pressed.command} {value}") for label, value in pressed.choices]
                question = str(
                    pressed.confirm or _("/incident {command} …: choose one.").format(command=pressed.command)
                )
            else:
                keys = [Button(_("Confirm"), pressed.command)]
                question = str(pressed.confirm or _("Run /incident {command}?").format(command=pressed.command))
            with self.runtime.unit_of_work() as ctx:
                markup = keyboard(keys, stored_buttons(ctx, ON_PROMPT))
            assert markup is not None
            cancel = [InlineKeyboardButton(_("Cancel"), callback_data=CANCEL)]
            # A question may be long (a share preview lists every recipient): split it like any reply.
            *parts, last = render(Reply(text=question), lambda button: "")
        return [*parts, TelegramMessage(last.html, InlineKeyboardMarkup([*markup.inline_keyboard, cancel]))]

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        try:
            await self._button(query, delivery(update))
        except Exception:
            # Never leave the presser watching a spinner; the error handler logs the rest. The database may be
            # what failed: their Telegram app's language is the one at hand.
            with i18n.language(i18n.choose(None, query.from_user.language_code, self.runtime.settings.language)):
                sorry = _("Something went wrong on our side; nothing was changed.")
            await query.answer(sorry, show_alert=True)
            raise

    async def _button(self, query: CallbackQuery, update_key: str) -> None:
        data = query.data or ""
        presser, hint = str(query.from_user.id), query.from_user.language_code
        if data == CANCEL:
            language = await asyncio.to_thread(self._language, presser, hint)
            with i18n.language(language):
                cancelled = Reply(text=_("Cancelled."))
            await obeying_flood_control(lambda: query.answer(cancelled.text))
            await self._replace(query, cancelled)
            return
        kind, _sep, token = data.partition(":")
        try:
            pressed, language = await asyncio.to_thread(self._press, token, presser, hint)
        except PuenteError as error:
            refusal = _short(str(error))
            await obeying_flood_control(lambda: query.answer(refusal, show_alert=True))
            return
        chat_id = query.message.chat.id if query.message is not None else query.from_user.id
        if kind == ON_REPLY and (pressed.confirm or pressed.choices):
            prompt = await asyncio.to_thread(self._prompt, pressed, language)
            await obeying_flood_control(lambda: query.answer())
            for part in prompt:
                ask = partial(query.get_bot().send_message, chat_id, part.html, reply_markup=part.keyboard)
                await obeying_flood_control(ask)
            return
        command = Command(
            text=pressed.command,
            platform=PLATFORM,
            user_id=presser,
            channel_id=str(chat_id),
            delivery=update_key,
            language_hint=hint,
        )
        reply = await asyncio.to_thread(self.core.handle_once, command)
        if reply is None:  # a press Telegram sent before: run and answered then
            return
        if not reply.ok:
            # A refusal stays with the person who pressed; the chat sees nothing.
            await obeying_flood_control(lambda: query.answer(_short(reply.text), show_alert=True))
            return
        await obeying_flood_control(lambda: query.answer(_short(reply.text.split("\n", 1)[0])))
        if kind == ON_PROMPT:
            await self._replace(query, reply)
        else:
            reply_to = query.message.message_id if query.message is not None else None
            await self.send(query.get_bot(), chat_id, reply, reply_to=reply_to)

    async def _replace(self, query: CallbackQuery, reply: Reply) -> None:
        """Edit the prompt that held the pressed key into the outcome."""
        part = await asyncio.to_thread(self._render_single, reply)
        await obeying_flood_control(lambda: query.edit_message_text(part.html, reply_markup=part.keyboard))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("Telegram update failed: %s", update, exc_info=context.error)


def build_application(runtime: Runtime, core: CommandCore | None = None, *, polling: bool = False) -> Application:  # type: ignore[type-arg]
    """The PTB Application; every Bot API call, getMe included, goes to TELEGRAM_API_URL.

    Webhook mode has no Updater: updates arrive through `process_update` from Puente's own
    HTTP endpoint. Polling mode keeps PTB's Updater, which long-polls getUpdates.
    """
    settings = runtime.settings
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_url)
        .base_file_url(file_base_url(settings.telegram_api_url))
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
    )
    if not polling:
        builder = builder.updater(None)
    application = builder.build()
    adapter = TelegramAdapter(runtime, core or CommandCore(runtime))
    application.add_handlers(adapter.handlers())
    application.add_error_handler(adapter.on_error)
    return application
