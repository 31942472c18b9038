"""Every table module, imported once so `SQLModel.metadata` is complete for Alembic and tests."""

from sqlmodel import SQLModel

import puente.storage.assistance
import puente.storage.buttons
import puente.storage.chat_requests
import puente.storage.clocks
import puente.storage.collections
import puente.storage.held_messages
import puente.storage.inbox
import puente.storage.models
import puente.storage.oncall
import puente.storage.outbox
import puente.storage.pages
import puente.storage.partners
import puente.storage.peers
import puente.storage.publications
import puente.storage.stix_objects
import puente.storage.web_sessions  # noqa: F401

metadata = SQLModel.metadata
