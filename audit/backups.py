"""Backing up and restoring the whole database: SQLite or PostgreSQL.

SQLite is copied page by page with SQLite's online backup (safe while the
server runs); PostgreSQL with pg_dump's custom format and pg_restore. Both work
on the database Django is configured with, so a test restores its own test
database and `make restore` the clinic's.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.utils import timezone

SQLITE_SUFFIX = ".sqlite3"
POSTGRESQL_SUFFIX = ".dump"


class BackupError(Exception):
    """A backup or restore that could not be done, with the reason in words."""


def _connection(alias: str = "default"):
    return connections[alias]


def default_backup_path(alias: str = "default") -> Path:
    suffix = SQLITE_SUFFIX if _connection(alias).vendor == "sqlite" else POSTGRESQL_SUFFIX
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return Path(settings.BACKUP_DIR) / f"rehab-{stamp}{suffix}"


def _postgresql_environment(settings_dict: dict) -> tuple[list[str], dict]:
    """pg_dump/pg_restore connection arguments; the password goes in the environment."""
    arguments = []
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            arguments += [option, str(settings_dict[key])]
    environment = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return arguments, environment


def _run(command: list[str], environment: dict) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed; install the PostgreSQL client tools.")
    result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()}")


def backup(path: Path | None = None, alias: str = "default") -> Path:
    """Write a backup of the database and return where it is."""
    connection = _connection(alias)
    path = Path(path) if path else default_backup_path(alias)
    path.parent.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    elif connection.vendor == "postgresql":
        arguments, environment = _postgresql_environment(connection.settings_dict)
        _run(
            [
                "pg_dump",
                *arguments,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={path}",
                connection.settings_dict["NAME"],
            ],
            environment,
        )
    else:
        raise ImproperlyConfigured(f"No backup for a {connection.vendor} database.")
    return path


def restore(path: Path, alias: str = "default") -> None:
    """Replace everything in the database with the backup's contents."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"There is no backup file at {path}.")
    connection = _connection(alias)
    if connection.vendor == "sqlite":
        if not path.name.endswith(SQLITE_SUFFIX):
            raise BackupError(f"{path.name} is not a SQLite backup (*{SQLITE_SUFFIX}).")
        connection.ensure_connection()
        if connection.in_atomic_block:
            raise BackupError("A restore cannot run inside a transaction.")
        source = sqlite3.connect(path)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    elif connection.vendor == "postgresql":
        if not path.name.endswith(POSTGRESQL_SUFFIX):
            raise BackupError(f"{path.name} is not a PostgreSQL backup (*{POSTGRESQL_SUFFIX}).")
        # pg_restore drops and recreates every table: no connection of ours may hold them.
        connections.close_all()
        arguments, environment = _postgresql_environment(connection.settings_dict)
        _run(
            [
                "pg_restore",
                *arguments,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                f"--dbname={connection.settings_dict['NAME']}",
                str(path),
            ],
            environment,
        )
    else:
        raise ImproperlyConfigured(f"No restore for a {connection.vendor} database.")
