"""Every table module, imported once so `SQLModel.metadata` is complete for Alembic and tests."""

from sqlmodel import SQLModel

import storage.assistance  # noqa: F401
import storage.buttons  # noqa: F401
import storage.collections  # noqa: F401
import storage.models  # noqa: F401
import storage.oncall  # noqa: F401
import storage.outbox  # noqa: F401
import storage.pages  # noqa: F401
import storage.partners  # noqa: F401
import storage.peers  # noqa: F401
import storage.stix_objects  # noqa: F401

metadata = SQLModel.metadata
