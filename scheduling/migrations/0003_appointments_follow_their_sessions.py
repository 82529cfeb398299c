"""Appointments whose session was corrected before corrections reached them (a
patient marked absent, then corrected to attended, still read 'Patient absent'):
each now says what its session says."""

from django.db import migrations

# A session's attendance and the status it gives its appointment (the same words).
ATTENDANCE = ["attended", "patient_absent", "cancelled_by_clinic"]


def follow_sessions(apps, schema_editor):
    Appointment = apps.get_model("scheduling", "Appointment")
    for attendance in ATTENDANCE:
        stale = Appointment.objects.filter(therapy_session__attendance=attendance).exclude(
            status=attendance
        )
        if attendance == "attended":
            # The reason given for an absence no longer holds.
            stale.update(status=attendance, cancellation_reason="")
        else:
            stale.update(status=attendance)


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0002_reword_reviews_of_resumed_plans"),
        ("plans", "0013_session_note_length"),
    ]

    operations = [migrations.RunPython(follow_sessions, migrations.RunPython.noop)]
