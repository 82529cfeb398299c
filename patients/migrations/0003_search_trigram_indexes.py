"""Trigram indexes for the patient search, on PostgreSQL only.

The search matches any part of a name or record number, ignoring case
(`UPPER(full_name) LIKE UPPER('%rao%')`, `patients.views.search_patients`): a
B-tree index cannot serve that, so every search and its count read the whole
registry. A GIN index of trigrams on the same expressions can. SQLite has no
such index; its search reads the table, as before. The indexes are not in
`Patient.Meta` because they exist on one database only.

pg_trgm is a trusted extension (PostgreSQL 13 and later): the database's owner
may create it. Where the clinic's database user may not, the migration says so
and goes on without the indexes; search still works, more slowly on a large
registry.
"""

from django.db import DatabaseError, migrations, transaction

INDEXES = {
    "patients_name_trgm_idx": "full_name",
    "patients_record_trgm_idx": "record_number",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        print(f"\n  Patient search indexes skipped: cannot create extension pg_trgm ({error}).")
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON patients_patient "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_audit_history")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
