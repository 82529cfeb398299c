"""Status changes made before the log existed, read back from the plans' audit
history: each historical row whose status differs from the one before it."""

from django.db import migrations
from django.utils import timezone

CLOSED = {"completed", "discontinued"}


def from_history(apps, schema_editor):
    HistoricalRehabPlan = apps.get_model("plans", "HistoricalRehabPlan")
    PlanStatusChange = apps.get_model("plans", "PlanStatusChange")
    rows = (
        HistoricalRehabPlan.objects.order_by("id", "history_date", "history_id")
        .values(
            "id",
            "status",
            "status_reason",
            "end_date",
            "history_date",
            "history_user_id",
            "lead_physician_id",
        )
        .iterator(chunk_size=2000)
    )
    status_before, changes = {}, []
    for row in rows:
        before = status_before.get(row["id"])
        status_before[row["id"]] = row["status"]
        if before is None or before == row["status"]:
            continue
        day = timezone.localtime(row["history_date"]).date()
        if row["status"] in CLOSED and row["end_date"]:
            day = row["end_date"]
        changes.append(
            PlanStatusChange(
                plan_id=row["id"],
                from_status=before,
                to_status=row["status"],
                # Who the history names, else the plan's physician (a change from a shell).
                changed_by_id=row["history_user_id"] or row["lead_physician_id"],
                changed_at=row["history_date"],
                effective_date=day,
                reason=row["status_reason"],
            )
        )
    PlanStatusChange.objects.bulk_create(changes, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("plans", "0010_plan_status_changes")]

    operations = [migrations.RunPython(from_history, migrations.RunPython.noop)]
