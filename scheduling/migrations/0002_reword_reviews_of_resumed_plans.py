"""Reviews a hold asked for, left open after the plan was resumed (before resuming
withdrew them): they said the appointments were no longer needed. They stay open,
since the timetable may still need a look, but say what is true now."""

from django.db import migrations

HOLD_REASON = "The plan is on hold:"
RESUMED_REASON = "The plan is active again: check its future appointments."


def reword(apps, schema_editor):
    TimetableReview = apps.get_model("scheduling", "TimetableReview")
    RehabPlan = apps.get_model("plans", "RehabPlan")
    active = RehabPlan.objects.filter(status="active").values("pk")
    TimetableReview.objects.filter(
        resolved_at__isnull=True, reason__startswith=HOLD_REASON, plan__in=active
    ).update(reason=RESUMED_REASON)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial"), ("plans", "0011_status_changes_from_history")]

    operations = [migrations.RunPython(reword, migrations.RunPython.noop)]
