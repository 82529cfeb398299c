"""`make backup` and `make restore FILE=…`: the demo clinic survives a wipe.

The commands work on whichever database Django is configured with, so on the
PostgreSQL CI run this backs up and restores the test database itself
(connection.settings_dict names it) with pg_dump and pg_restore; on SQLite it
uses SQLite's online backup.
"""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from audit.backups import POSTGRESQL_SUFFIX, SQLITE_SUFFIX
from patients.models import Patient
from plans.models import RehabPlan, TherapySession


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def clinic_snapshot() -> dict:
    return {
        "patients": sorted(
            Patient.objects.values_list("record_number", "full_name", "phone", "is_active")
        ),
        "plans": sorted(RehabPlan.objects.values_list("pk", "status", "version", "patient_id")),
        "sessions": sorted(
            TherapySession.objects.values_list("pk", "date", "subjective", "therapist_id")
        ),
        "history": Patient.history.count(),
    }


def backup_name(tmp_path):
    suffix = POSTGRESQL_SUFFIX if connection.vendor == "postgresql" else SQLITE_SUFFIX
    return tmp_path / f"clinic{suffix}"


@pytest.mark.django_db(transaction=True)
def test_backup_then_wipe_then_restore_brings_back_every_row(tmp_path):
    call_command("seed_demo", quiet=True)
    counts = row_counts()
    snapshot = clinic_snapshot()
    assert counts["patients.Patient"] >= 18 and counts["plans.TherapySession"] >= 200
    if connection.vendor == "postgresql":
        # The test database, not the clinic's: pg_dump is pointed at this name.
        assert connection.settings_dict["NAME"].startswith("test_")

    output = StringIO()
    path = backup_name(tmp_path)
    call_command("backup", str(path), stdout=output)
    assert "Backed up the database to" in output.getvalue()
    assert path.is_file() and path.stat().st_size > 0

    call_command("flush", interactive=False, verbosity=0)
    assert Patient.objects.count() == 0
    assert TherapySession.objects.count() == 0

    call_command("restore", str(path), "--noinput", "--no-safety-copy", stdout=output)
    assert "Restored the database from" in output.getvalue()
    assert row_counts() == counts
    assert clinic_snapshot() == snapshot


@pytest.mark.django_db(transaction=True)
def test_restore_keeps_a_copy_of_the_database_it_replaces(tmp_path, settings):
    settings.BACKUP_DIR = tmp_path / "kept"
    path = backup_name(tmp_path)
    call_command("backup", str(path), stdout=StringIO())
    output = StringIO()
    call_command("restore", str(path), "--noinput", stdout=output)
    kept = list((tmp_path / "kept").iterdir())
    assert len(kept) == 1
    assert f"The database as it was is kept in {kept[0]}" in output.getvalue()


@pytest.mark.django_db
def test_restore_refuses_a_missing_file_and_changes_nothing(tmp_path, plan):
    with pytest.raises(CommandError, match="There is no backup file at"):
        call_command("restore", str(tmp_path / "nothing.dump"), "--noinput")
    assert RehabPlan.objects.filter(pk=plan.pk).exists()


@pytest.mark.django_db
def test_restore_refuses_a_backup_of_the_other_kind_of_database(tmp_path, plan):
    other = POSTGRESQL_SUFFIX if connection.vendor == "sqlite" else SQLITE_SUFFIX
    wrong = tmp_path / f"clinic{other}"
    wrong.write_bytes(b"not this database's backup")
    with pytest.raises(CommandError, match="is not a"):
        call_command("restore", str(wrong), "--noinput", "--no-safety-copy")
    assert RehabPlan.objects.filter(pk=plan.pk).exists()


@pytest.mark.django_db
def test_restore_asks_before_replacing_everything(tmp_path, plan, monkeypatch):
    path = backup_name(tmp_path)
    path.write_bytes(b"")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Nothing was restored"):
        call_command("restore", str(path))
    assert RehabPlan.objects.filter(pk=plan.pk).exists()
