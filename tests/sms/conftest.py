"""The case API fixtures (SQLite, and PostgreSQL when configured) for the SMS notices."""

from tests.casework.conftest import api, db_url  # noqa: F401
