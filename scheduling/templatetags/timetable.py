"""The timetable's panels on pages owned by other apps (composed in templates, so
those apps never import the timetable)."""

import datetime

from django import template
from django.db.models import Exists, OuterRef
from django.utils import timezone

from plans.models import RehabPlan
from scheduling import access, selectors
from scheduling.forms import PreferenceForm
from scheduling.models import (
    Appointment,
    ClinicHoliday,
    Leave,
    PatientPreference,
    TimetableReview,
)

register = template.Library()

# The adherence panel: the two weeks before this one, this week and the next two.
WEEKS_BACK, WEEKS_AHEAD = 2, 2


@register.inclusion_tag("scheduling/partials/plan_panel.html", takes_context=True)
def plan_timetable_panel(context, plan):
    """On the plan page: a review waiting, the next appointments, and allocated against
    booked against attended per week (two queries: the review, and the plan's
    appointments from the first week shown on, which hold the next ones too)."""
    user = context["request"].user
    now = timezone.now()
    this_week = selectors.monday_of(None, timezone.localdate())
    weeks = [this_week + datetime.timedelta(weeks=n) for n in range(-WEEKS_BACK, WEEKS_AHEAD + 1)]
    weeks = [week for week in weeks if week + datetime.timedelta(days=6) >= plan.start_date]
    appointments = list(selectors.appointments_from(plan, weeks[0] if weeks else this_week))
    upcoming = [
        appointment
        for appointment in appointments
        if appointment.start >= now and appointment.status == Appointment.Status.BOOKED
    ]
    return {
        "plan": plan,
        "can_book": access.can_book(user),
        "review": TimetableReview.objects.waiting().filter(plan=plan).first(),
        "upcoming": upcoming[: selectors.UPCOMING_SHOWN],
        "weeks": selectors.timetable_weeks(plan, weeks, appointments),
        "this_week": this_week,
    }


@register.inclusion_tag("scheduling/partials/therapist_today.html", takes_context=True)
def therapist_today(context):
    """On a therapist's worklist: today's appointments with their one-click buttons."""
    user = context["request"].user
    today = timezone.localdate()
    appointments = list(
        selectors.appointments_between(today, today)
        .filter(therapist=user)
        .exclude(status__in=Appointment.CANCELLED)
        .order_by("start")
    )
    return {
        "appointments": appointments,
        "under_review": selectors.any_under_review(appointments),
        "closed": ClinicHoliday.objects.filter(date=today).first(),
        "on_leave": Leave.objects.filter(
            therapist=user, start_date__lte=today, end_date__gte=today
        ).first(),
        "user": user,
        "today": today,
        "request": context["request"],
    }


# The family summary lists the coming appointments of about a week and a half.
FAMILY_APPOINTMENTS = 10


@register.inclusion_tag("scheduling/partials/family_appointments.html")
def family_appointments(plan):
    """On the family summary: the plan's next booked appointments, day, time and who."""
    upcoming = list(
        selectors.marking_review(
            Appointment.objects.filter(
                plan=plan, start__gte=timezone.now(), status=Appointment.Status.BOOKED
            )
        )
        .select_related("therapist")
        .order_by("start")[:FAMILY_APPOINTMENTS]
    )
    return {
        "plan": plan,
        "upcoming": upcoming,
        "under_review": selectors.any_under_review(upcoming),
    }


# The patient page lists the next few; the patient's week has the rest.
PATIENT_APPOINTMENTS = 5


@register.inclusion_tag("scheduling/partials/patient_panel.html", takes_context=True)
def patient_timetable_panel(context, patient):
    """On the patient page: the next appointments, the preferred time of day and, for
    those who book, where to book each running plan's timetable (or review it)."""
    user = context["request"].user
    can_book = access.can_book(user)
    running = []
    if can_book:
        open_review = TimetableReview.objects.waiting().filter(plan=OuterRef("pk"))
        running = list(
            RehabPlan.objects.filter(patient=patient, status=RehabPlan.Status.ACTIVE)
            .select_related("protocol")
            .annotate(needs_review=Exists(open_review))
            .order_by("start_date", "pk")
        )
    preference = PatientPreference.objects.filter(patient=patient).first()
    time_of_day = preference.time_of_day if preference else PatientPreference.TimeOfDay.ANY
    # One more than is shown, to say that more are booked.
    upcoming = list(
        selectors.marking_review(
            Appointment.objects.filter(
                plan__patient=patient, start__gte=timezone.now(), status=Appointment.Status.BOOKED
            )
        )
        .select_related("therapist")
        .order_by("start")[: PATIENT_APPOINTMENTS + 1]
    )
    shown = upcoming[:PATIENT_APPOINTMENTS]
    return {
        "patient": patient,
        "upcoming": shown,
        "more_booked": len(upcoming) > PATIENT_APPOINTMENTS,
        "under_review": selectors.any_under_review(shown),
        "time_of_day_label": PatientPreference.TimeOfDay(time_of_day).label,
        "can_book": can_book,
        "running_plans": running,
        "preference_form": PreferenceForm(initial={"time_of_day": time_of_day}),
        "request": context["request"],
    }
