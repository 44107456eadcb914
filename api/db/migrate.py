"""Apply Alembic migrations programmatically (`workflows db upgrade`, `workflows run`, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from workflows.settings import Settings

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would choke on a '%' in a password.
    config.set_main_option("sqlalchemy.url", settings.database_url.get_secret_value().replace("%", "%%"))
    return config


def upgrade(settings: Settings, *, revision: str = "head") -> None:
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, *, revision: str = "base") -> None:
    command.downgrade(alembic_config(settings), revision)
