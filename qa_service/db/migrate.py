"""Alembic, driven from code: the service upgrades its database when it starts."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from qa_service.config import PROJECT_ROOT


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


def check(url: str) -> None:
    """Raises when the tables differ from what the migrations build."""
    command.check(alembic_config(url))
