"""Booking, moving and marking appointments, and the timetable following the plan."""

import datetime
from collections import Counter
from importlib import import_module

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from plans import services as plan_services
from plans.models import RehabPlan, TherapySession
from scheduling import services
from scheduling.models import (
    Appointment,
    CalendarFeedToken,
    ClinicHoliday,
    Leave,
    TimetableReview,
    WorkingHours,
)
from scheduling.proposer import week_start
from tests import factories

pytestmark = pytest.mark.django_db


def next_monday() -> datetime.date:
    today = timezone.localdate()
    return today + datetime.timedelta(days=7 - today.weekday())


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def book_weeks(plan, by, first_day=None, weeks=2) -> list[Appointment]:
    proposal = services.preview(plan=plan, first_day=first_day or next_monday(), weeks=weeks)
    return services.book_appointments(
        plan=plan,
        slots=[
            services.Slot(a.discipline, a.therapist_id, timezone.make_aware(a.start), a.minutes)
            for a in proposal.appointments
        ],
        by=by,
    )


def weekly_counts(appointments) -> Counter:
    return Counter(
        (a.discipline, week_start(timezone.localtime(a.start).date())) for a in appointments
    )


def assert_no_overlaps(appointments) -> None:
    for key in ("therapist_id", "patient"):
        groups = {}
        for a in appointments:
            owner = a.plan.patient_id if key == "patient" else a.therapist_id
            groups.setdefault(owner, []).append(a)
        for group in groups.values():
            group.sort(key=lambda a: a.start)
            for first, second in zip(group, group[1:], strict=False):
                assert first.end <= second.start, (first, second)


def test_one_confirmation_books_the_stage_mix_for_two_weeks(plan, front_desk):
    booked = book_weeks(plan, front_desk)
    monday = next_monday()
    counts = weekly_counts(booked)
    assert counts == {
        ("PT", monday): 6,
        ("OT", monday): 2,
        ("PT", monday + datetime.timedelta(weeks=1)): 6,
        ("OT", monday + datetime.timedelta(weeks=1)): 2,
    }
    stored = list(Appointment.objects.filter(plan=plan).select_related("plan"))
    assert len(stored) == 16
    assert all(a.status == "booked" and a.created_by == front_desk for a in stored)
    assert all(a.plan_stage == plan.current_stage for a in stored)
    assert_no_overlaps(stored)


def test_two_patients_with_one_therapist_are_never_double_booked(
    plan, protocol, physician, physiotherapist, occupational_therapist, front_desk
):
    other = factories.start_plan(
        protocol=protocol,
        lead_physician=physician,
        physiotherapist=physiotherapist,
        occupational_therapist=occupational_therapist,
    )
    book_weeks(plan, front_desk)
    book_weeks(other, front_desk)
    stored = list(Appointment.objects.select_related("plan"))
    assert len(stored) == 32
    assert_no_overlaps(stored)


def test_a_conflicting_slot_is_refused_and_nothing_is_booked(
    plan, protocol, physician, physiotherapist, occupational_therapist, front_desk
):
    other = factories.start_plan(
        protocol=protocol, lead_physician=physician, physiotherapist=physiotherapist
    )
    monday = next_monday()
    services.book_appointments(
        plan=other,
        slots=[services.Slot("PT", physiotherapist.pk, at(monday, 10), 45)],
        by=front_desk,
    )
    with pytest.raises(services.SlotErrors) as refusal:
        services.book_appointments(
            plan=plan,
            slots=[
                services.Slot("OT", occupational_therapist.pk, at(monday, 9), 45),
                services.Slot("PT", physiotherapist.pk, at(monday, 10, 30), 45),
            ],
            by=front_desk,
        )
    assert list(refusal.value.by_slot) == [1]
    assert "Rahul Sharma already sees" in refusal.value.by_slot[1][0]
    assert Appointment.objects.filter(plan=plan).count() == 0


def test_the_patient_is_never_in_two_places(
    plan, physiotherapist, occupational_therapist, front_desk
):
    monday = next_monday()
    with pytest.raises(services.SlotErrors) as refusal:
        services.book_appointments(
            plan=plan,
            slots=[
                services.Slot("PT", physiotherapist.pk, at(monday, 9), 45),
                services.Slot("OT", occupational_therapist.pk, at(monday, 9, 30), 45),
            ],
            by=front_desk,
        )
    assert "would have two appointments at once" in " ".join(refusal.value.messages)
    assert not Appointment.objects.exists()


def test_holidays_leave_and_working_hours_are_refused(plan, physiotherapist, front_desk):
    monday = next_monday()
    ClinicHoliday.objects.create(date=monday, name="Holi")
    Leave.objects.create(
        therapist=physiotherapist,
        start_date=monday + datetime.timedelta(days=1),
        end_date=monday + datetime.timedelta(days=1),
    )
    WorkingHours.objects.create(
        therapist=physiotherapist,
        weekday=2,
        start=datetime.time(9),
        end=datetime.time(13),
    )
    cases = [
        (at(monday, 10), "The clinic is closed on"),
        (at(monday + datetime.timedelta(days=1), 10), "is on leave on"),
        (at(monday + datetime.timedelta(days=2), 12, 30), "works 09:00–13:00 on Wednesdays"),
        (at(monday + datetime.timedelta(days=3), 10), "does not work on Thursdays"),
        (at(monday + datetime.timedelta(days=2), 10, 5), "Appointments start every 15 minutes"),
    ]
    for start, message in cases:
        with pytest.raises(services.SlotErrors) as refusal:
            services.book_appointments(
                plan=plan, slots=[services.Slot("PT", physiotherapist.pk, start, 45)], by=front_desk
            )
        assert message in " ".join(refusal.value.messages), message
    assert not Appointment.objects.exists()


def test_only_an_allocated_therapist_is_booked(plan, therapist_not_on_plan, front_desk):
    with pytest.raises(services.SlotErrors) as refusal:
        services.book_appointments(
            plan=plan,
            slots=[services.Slot("PT", therapist_not_on_plan.pk, at(next_monday(), 10), 45)],
            by=front_desk,
        )
    assert "not allocated" in refusal.value.messages[0]
    assert not Appointment.objects.exists()


def test_move_keeps_the_same_checks(plan, physiotherapist, occupational_therapist, front_desk):
    monday = next_monday()
    pt, ot = services.book_appointments(
        plan=plan,
        slots=[
            services.Slot("PT", physiotherapist.pk, at(monday, 9), 45),
            services.Slot("OT", occupational_therapist.pk, at(monday, 11), 45),
        ],
        by=front_desk,
    )
    with pytest.raises(ValidationError) as refusal:
        services.move_appointment(appointment=ot, start=at(monday, 9, 15), by=front_desk)
    assert "already has PT" in " ".join(refusal.value.messages)
    ot.refresh_from_db()
    assert ot.start == at(monday, 11)
    moved = services.move_appointment(appointment=ot, start=at(monday, 14), by=front_desk)
    assert (moved.start, moved.end) == (at(monday, 14), at(monday, 14, 45))


def past_appointment(plan, therapist, start, status="booked", by=None) -> Appointment:
    """An appointment in the past, written directly (booking refuses the past)."""
    return Appointment.objects.create(
        plan=plan,
        plan_stage=plan.stages.get(status="current"),
        discipline=therapist.discipline,
        therapist=therapist,
        start=start,
        end=start + datetime.timedelta(minutes=45),
        status=status,
        created_by=by or therapist,
    )


def test_attended_logs_the_session_and_links_it(plan, physiotherapist):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    appointment = past_appointment(plan, physiotherapist, at(yesterday, 10))
    services.mark_attended(
        appointment=appointment,
        by=physiotherapist,
        date=yesterday,
        start_time=datetime.time(10),
        duration_minutes=40,
        focus_areas=["walking"],
        subjective="Tired",
        objective="",
        assessment="",
        plan_notes="",
        pain_before=None,
        pain_after=None,
    )
    appointment.refresh_from_db()
    assert appointment.status == "attended"
    session = appointment.therapy_session
    assert (session.date, session.duration_minutes, session.attendance) == (
        yesterday,
        40,
        "attended",
    )
    with pytest.raises(ValidationError) as again:
        services.mark_attended(appointment=appointment, by=physiotherapist, date=yesterday)
    assert "already marked attended" in again.value.messages[0]
    assert TherapySession.objects.filter(plan=plan).count() == 1


def test_a_session_logged_from_the_worklist_settles_its_appointment(
    plan, physiotherapist, occupational_therapist
):
    today = timezone.localdate()
    morning = past_appointment(plan, physiotherapist, at(today, 0, 15))
    later = past_appointment(plan, physiotherapist, at(today, 0, 45))
    ot = past_appointment(plan, occupational_therapist, at(today, 0, 30))
    # Logged on the session form for the later one (nearest start), not through it.
    session = plan_services.log_session(
        plan=plan,
        therapist=physiotherapist,
        logged_by=physiotherapist,
        date=today,
        start_time=datetime.time(0, 40),
        duration_minutes=45,
    )
    later.refresh_from_db()
    assert (later.status, later.therapy_session) == ("attended", session)
    # The appointment can no longer log a second session.
    with pytest.raises(ValidationError):
        services.mark_attended(appointment=later, by=physiotherapist, date=today)
    assert TherapySession.objects.filter(plan=plan, therapist=physiotherapist).count() == 1
    # A no-show from the worklist settles the other one; the OT's stays booked.
    plan_services.record_missed_session(
        plan=plan, therapist=physiotherapist, attendance="patient_absent"
    )
    morning.refresh_from_db()
    ot.refresh_from_db()
    assert morning.status == "patient_absent" and morning.therapy_session is not None
    assert ot.status == "booked" and ot.therapy_session is None


def test_marking_an_appointment_links_its_own_session_not_a_neighbours(plan, physiotherapist):
    today = timezone.localdate()
    first = past_appointment(plan, physiotherapist, at(today, 0, 15))
    second = past_appointment(plan, physiotherapist, at(today, 0, 45))
    # The session's time is typed nearer the other appointment's start.
    services.mark_attended(
        appointment=first,
        by=physiotherapist,
        date=today,
        start_time=datetime.time(0, 45),
        duration_minutes=30,
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "attended" and first.therapy_session is not None
    assert second.status == "booked" and second.therapy_session is None


def test_absent_records_a_missed_session_and_a_cancellation_ahead_does_not(
    plan, physiotherapist, occupational_therapist, front_desk
):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    missed = past_appointment(plan, physiotherapist, at(yesterday, 10))
    services.mark_missed(appointment=missed, status="patient_absent", by=front_desk, reason="Fever")
    missed.refresh_from_db()
    assert (missed.status, missed.cancellation_reason) == ("patient_absent", "Fever")
    assert missed.therapy_session.attendance == "patient_absent"
    assert missed.therapy_session.logged_by == front_desk

    [ahead] = services.book_appointments(
        plan=plan,
        slots=[services.Slot("OT", occupational_therapist.pk, at(next_monday(), 9), 45)],
        by=front_desk,
    )
    with pytest.raises(ValidationError) as refusal:
        services.mark_missed(appointment=ahead, status="patient_absent", by=front_desk)
    assert "to call it off ahead, cancel it" in refusal.value.messages[0]
    services.mark_missed(appointment=ahead, status="cancelled_by_patient", by=front_desk)
    ahead.refresh_from_db()
    assert ahead.status == "cancelled_by_patient" and ahead.therapy_session is None
    assert TherapySession.objects.filter(plan=plan).count() == 1


def test_correcting_a_session_corrects_its_appointment(plan, physiotherapist):
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    appointment = past_appointment(plan, physiotherapist, at(today, 0, 15))
    services.mark_missed(
        appointment=appointment, status="patient_absent", by=physiotherapist, reason="In radiology"
    )
    appointment.refresh_from_db()
    session = appointment.therapy_session
    # The patient came after all: the session says so, and so does the appointment.
    plan_services.correct_session(
        session=session, by=physiotherapist, attendance="attended", duration_minutes=40
    )
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancellation_reason) == ("attended", "")
    assert appointment.therapy_session == session
    plan_services.correct_session(session=session, by=physiotherapist, attendance="patient_absent")
    appointment.refresh_from_db()
    assert appointment.status == "patient_absent"
    # Logged on the wrong day: this appointment waits to be marked again, and the one
    # booked on the session's day takes the session.
    earlier = past_appointment(plan, physiotherapist, at(yesterday, 10))
    plan_services.correct_session(session=session, by=physiotherapist, date=yesterday)
    appointment.refresh_from_db()
    earlier.refresh_from_db()
    assert (appointment.status, appointment.therapy_session) == ("booked", None)
    assert (earlier.status, earlier.therapy_session) == ("patient_absent", session)
    # A correction that leaves attendance and day alone leaves the appointment alone.
    plan_services.correct_session(session=session, by=physiotherapist, duration_minutes=30)
    earlier.refresh_from_db()
    assert earlier.status == "patient_absent"


def test_advancing_the_stage_re_proposes_only_future_appointments(
    plan, physician, physiotherapist, front_desk, django_capture_on_commit_callbacks
):
    last_week = timezone.localdate() - datetime.timedelta(days=7)
    attended_before = past_appointment(plan, physiotherapist, at(last_week, 9), status="booked")
    attended_before.status = "patient_absent"
    attended_before.save()
    past_booked = past_appointment(plan, physiotherapist, at(last_week, 11))
    future = book_weeks(plan, front_desk)
    assert len(future) == 16

    with django_capture_on_commit_callbacks(execute=True):
        plan_services.advance_stage(plan=plan, by=physician)  # stage 2: PT 5, OT 5
    review = TimetableReview.objects.get(plan=plan, resolved_at__isnull=True)
    assert "PT 5 and OT 5 a week" in review.reason

    plan = RehabPlan.objects.get(pk=plan.pk)
    diff = services.review_diff(plan)
    assert diff.changes_anything
    assert all(a.start > timezone.now() for a in diff.cancel)
    services.apply_review(plan=plan, by=front_desk, fingerprint=diff.fingerprint)

    # The past is untouched.
    for appointment, status in ((attended_before, "patient_absent"), (past_booked, "booked")):
        before_start = appointment.start
        appointment.refresh_from_db()
        assert (appointment.status, appointment.start) == (status, before_start)
    # The future now follows the new mix, week by week.
    live = Appointment.objects.filter(plan=plan, status="booked", start__gt=timezone.now())
    monday = next_monday()
    counts = weekly_counts(live)
    for week in (monday, monday + datetime.timedelta(weeks=1)):
        assert counts["PT", week] == 5
        assert counts["OT", week] == 5
    assert all(a.plan_stage.order == 2 for a in live.select_related("plan_stage"))
    cancelled = Appointment.objects.filter(plan=plan, status="cancelled_by_clinic")
    assert cancelled.count() == len(diff.cancel)
    assert cancelled.first().cancellation_reason == f"Timetable review: {review.reason}"
    assert Appointment.objects.filter(plan=plan, status="booked").count() == 20 + 1
    assert not TimetableReview.objects.filter(plan=plan, resolved_at__isnull=True).exists()


def test_a_stale_review_is_refused(plan, physician, front_desk, django_capture_on_commit_callbacks):
    book_weeks(plan, front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.advance_stage(plan=plan, by=physician)
    with pytest.raises(ValidationError) as refusal:
        services.apply_review(plan=plan, by=front_desk, fingerprint="old")
    assert "changed while you were looking" in refusal.value.messages[0]
    assert not Appointment.objects.filter(status="cancelled_by_clinic").exists()


def test_putting_a_plan_on_hold_offers_to_cancel_its_future(
    plan, physician, front_desk, django_capture_on_commit_callbacks
):
    book_weeks(plan, front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.change_plan_status(
            plan=plan, status="on_hold", by=physician, reason="Admitted to hospital"
        )
    assert TimetableReview.objects.filter(plan=plan, resolved_at__isnull=True).exists()
    diff = services.review_diff(RehabPlan.objects.get(pk=plan.pk))
    assert len(diff.cancel) == 16 and not diff.add
    services.apply_review(plan=plan, by=front_desk, fingerprint=diff.fingerprint)
    assert not Appointment.objects.filter(plan=plan, status="booked").exists()


def test_resuming_a_plan_withdraws_the_holds_review_and_keeps_its_appointments(
    plan, physician, front_desk, django_capture_on_commit_callbacks
):
    book_weeks(plan, front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.change_plan_status(
            plan=plan, status="on_hold", by=physician, reason="Admitted to hospital"
        )
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.change_plan_status(plan=plan, status="active", by=physician)
    review = TimetableReview.objects.get(plan=plan)
    assert review.resolved_at is not None and review.resolved_by == physician
    assert Appointment.objects.filter(plan=plan, status="booked").count() == 16
    assert not services.review_diff(RehabPlan.objects.get(pk=plan.pk)).changes_anything


def test_resuming_a_plan_whose_appointments_no_longer_fit_asks_to_check_them(
    plan, physician, front_desk, therapist_not_on_plan, django_capture_on_commit_callbacks
):
    book_weeks(plan, front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.change_plan_status(
            plan=plan, status="on_hold", by=physician, reason="Admitted to hospital"
        )
        # While on hold, physiotherapy goes to another therapist.
        plan_services.allocate_therapist(
            plan=plan, discipline="PT", therapist=therapist_not_on_plan, by=physician
        )
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.change_plan_status(plan=plan, status="active", by=physician)
    review = TimetableReview.objects.get(plan=plan, resolved_at__isnull=True)
    assert review.reason.startswith("The plan is active again")
    diff = services.review_diff(RehabPlan.objects.get(pk=plan.pk))
    assert diff.cancel and diff.add  # the old therapist's appointments, the new one's


def test_reviews_left_open_by_an_earlier_resume_are_reworded(plan, physician, protocol):
    migration = import_module("scheduling.migrations.0002_reword_reviews_of_resumed_plans")
    held = factories.start_plan(protocol=protocol, lead_physician=physician)
    plan_services.change_plan_status(plan=held, status="on_hold", by=physician, reason="Ill")
    stale = "The plan is on hold: its future appointments are no longer needed."
    TimetableReview.objects.create(plan=plan, reason=stale)  # resumed since
    TimetableReview.objects.create(plan=held, reason=stale)  # still on hold
    migration.reword(apps, schema_editor=None)
    assert TimetableReview.objects.get(plan=plan).reason == migration.RESUMED_REASON
    assert TimetableReview.objects.get(plan=held).reason == stale


def test_appointments_corrected_before_corrections_reached_them_follow_their_sessions(
    plan, physiotherapist
):
    migration = import_module("scheduling.migrations.0003_appointments_follow_their_sessions")
    today = timezone.localdate()
    absent = past_appointment(plan, physiotherapist, at(today, 0, 15))
    services.mark_missed(
        appointment=absent, status="patient_absent", by=physiotherapist, reason="In radiology"
    )
    attended = past_appointment(plan, physiotherapist, at(today, 0, 45))
    services.mark_attended(
        appointment=attended, by=physiotherapist, date=today, duration_minutes=45
    )
    # As an earlier version left it: the session corrected, the appointment not.
    TherapySession.objects.filter(appointment=absent).update(attendance="attended")
    migration.follow_sessions(apps, schema_editor=None)
    absent.refresh_from_db()
    attended.refresh_from_db()
    assert (absent.status, absent.cancellation_reason) == ("attended", "")
    assert attended.status == "attended"
    # Every status a session gives its appointment is one the migration knows.
    assert sorted(migration.ATTENDANCE) == sorted(
        str(status) for status in services.STATUS_OF_SESSION.values()
    )
    assert all(str(a) == str(s) for a, s in services.STATUS_OF_SESSION.items())


def test_individualising_the_current_stage_asks_for_a_review(
    plan, physician, front_desk, django_capture_on_commit_callbacks
):
    book_weeks(plan, front_desk, weeks=1)
    stage = plan.stages.get(status="current")
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.individualise_stage_mix(
            stage=stage,
            pt_sessions_per_week=4,
            ot_sessions_per_week=4,
            reason="Tires quickly; more OT for transfers",
            by=physician,
        )
    review = TimetableReview.objects.get(plan=plan, resolved_at__isnull=True)
    assert "PT 4 and OT 4 a week" in review.reason
    diff = services.review_diff(RehabPlan.objects.get(pk=plan.pk))
    monday = next_monday()
    counts = weekly_counts(diff.keep) + weekly_counts_of_proposed(diff.add)
    assert counts == {("PT", monday): 4, ("OT", monday): 4}
    # Two of the six PT appointments go; both OT stay and two more come.
    assert len(diff.cancel) == 2 and len(diff.add) == 2


def test_a_new_therapist_asks_for_a_review_that_moves_their_appointments(
    plan,
    physician,
    physiotherapist,
    occupational_therapist,
    therapist_not_on_plan,
    front_desk,
    django_capture_on_commit_callbacks,
):
    booked = book_weeks(plan, front_desk, weeks=1)
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.allocate_therapist(
            plan=plan, discipline="PT", therapist=therapist_not_on_plan, by=physician
        )
    review = TimetableReview.objects.get(plan=plan, resolved_at__isnull=True)
    assert f"Physiotherapy is now with {therapist_not_on_plan.display_name}" in review.reason

    diff = services.review_diff(RehabPlan.objects.get(pk=plan.pk))
    pt_before = [a for a in booked if a.discipline == "PT"]
    assert {a.pk for a in diff.cancel} == {a.pk for a in pt_before}
    assert {a.discipline for a in diff.keep} == {"OT"}  # the OT timetable stands
    assert {a.therapist_id for a in diff.add} == {therapist_not_on_plan.pk}
    assert len(diff.add) == len(pt_before)
    services.apply_review(plan=plan, by=front_desk, fingerprint=diff.fingerprint)
    live = Appointment.objects.filter(plan=plan, status="booked")
    assert {a.therapist_id for a in live if a.discipline == "PT"} == {therapist_not_on_plan.pk}
    assert {a.therapist_id for a in live if a.discipline == "OT"} == {occupational_therapist.pk}
    cancelled = Appointment.objects.get(pk=pt_before[0].pk)
    assert cancelled.cancellation_reason.startswith("Timetable review: Physiotherapy is now with")


def test_leaving_a_discipline_without_a_therapist_asks_for_a_review(
    plan, physician, front_desk, django_capture_on_commit_callbacks
):
    book_weeks(plan, front_desk, weeks=1)
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.allocate_therapist(plan=plan, discipline="PT", therapist=None, by=physician)
    review = TimetableReview.objects.get(plan=plan, resolved_at__isnull=True)
    assert review.reason.startswith("Physiotherapy has no therapist now")
    diff = services.review_diff(RehabPlan.objects.get(pk=plan.pk))
    assert {a.discipline for a in diff.cancel} == {"PT"} and not diff.add


def test_allocating_the_same_therapist_again_asks_for_nothing(
    plan, physician, physiotherapist, front_desk, django_capture_on_commit_callbacks
):
    book_weeks(plan, front_desk, weeks=1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        changed = plan_services.allocate_therapist(
            plan=plan, discipline="PT", therapist=physiotherapist, by=physician
        )
    assert changed == 0 and callbacks == []
    assert not TimetableReview.objects.exists()


def weekly_counts_of_proposed(proposed) -> Counter:
    return Counter((a.discipline, week_start(a.start.date())) for a in proposed)


def test_a_mix_change_without_a_timetable_asks_for_nothing(
    plan, physician, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.advance_stage(plan=plan, by=physician)
    assert not TimetableReview.objects.exists()


def test_a_new_calendar_address_revokes_the_old_one(physiotherapist):
    first, first_secret = services.create_feed_token(therapist=physiotherapist, by=physiotherapist)
    assert services.therapist_for_feed(first_secret) == physiotherapist
    assert first_secret not in first.token_digest
    _second, second_secret = services.create_feed_token(
        therapist=physiotherapist, by=physiotherapist
    )
    assert services.therapist_for_feed(first_secret) is None
    assert services.therapist_for_feed(second_secret) == physiotherapist
    assert services.revoke_feed_token(therapist=physiotherapist, by=physiotherapist) == 1
    assert services.therapist_for_feed(second_secret) is None
    assert CalendarFeedToken.objects.filter(revoked_at__isnull=True).count() == 0


def test_demo_timetable_is_conflict_free_and_idempotent(db):
    call_command("seed_demo", quiet=True)
    first = Appointment.objects.count()
    assert first >= 50
    call_command("seed_demo", quiet=True)
    assert Appointment.objects.count() == first
    stored = list(Appointment.objects.select_related("plan"))
    assert_no_overlaps(stored)
    horizon = timezone.localdate() + datetime.timedelta(days=14)
    assert all(
        timezone.now() < a.start and timezone.localtime(a.start).date() < horizon for a in stored
    )
    assert {a.plan.status for a in stored} == {"active"}
    # Booked after the demo's stage changes, in the same transaction: nothing to review.
    assert not TimetableReview.objects.exists()
