"""Every table module, imported once so `SQLModel.metadata` is complete for Alembic and tests."""

from sqlmodel import SQLModel

import puente.storage.assistance  # noqa: F401
import puente.bot.telegram.button_store  # noqa: F401
import puente.storage.collections  # noqa: F401
import puente.storage.models  # noqa: F401
import puente.storage.oncall  # noqa: F401
import puente.storage.outbox  # noqa: F401
import puente.storage.pages  # noqa: F401
import puente.storage.partners  # noqa: F401
import puente.storage.peers  # noqa: F401
import puente.storage.stix_objects  # noqa: F401

metadata = SQLModel.metadata
