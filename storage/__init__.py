"""SQLModel tables, the repositories that read and write them, and the Alembic migrations."""
