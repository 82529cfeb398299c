"""Timetable pages: book a plan's weeks, review it when the mix moves, the week
views, moving and marking appointments, and the therapist's calendar feed.

Physicians and the front desk book; a therapist sees their own week and marks
their own appointments. Every change goes through one function of
`scheduling.services`, whose refusals are shown next to what they concern.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from patients.models import Patient
from plans import access as plan_access
from plans.models import RehabPlan
from plans.selectors import clinic_demand, plan_with_stages
from plans.session_views import safe_next
from rehab.forms import add_service_errors
from rehab.models import Discipline, User
from scheduling import access, ical, selectors, services
from scheduling.forms import (
    AttendedForm,
    HolidayForm,
    LeaveForm,
    MissedForm,
    MoveForm,
    PreferenceForm,
    ProposalForm,
    ProposedRowFormSet,
    WorkingWeekFormSet,
    next_monday,
)
from scheduling.models import (
    Appointment,
    CalendarFeedToken,
    ClinicHoliday,
    Leave,
    TimetableReview,
    Weekday,
)

FEED_DAYS_BACK, FEED_DAYS_AHEAD = 14, 90


def _plan_or_404(pk: int) -> RehabPlan:
    return get_object_or_404(plan_with_stages(), pk=pk)


def _week_context(request, monday: datetime.date) -> dict:
    return {
        "monday": monday,
        "sunday": monday + datetime.timedelta(days=6),
        "previous_week": monday - datetime.timedelta(weeks=1),
        "next_week": monday + datetime.timedelta(weeks=1),
        "this_week": selectors.monday_of(None, timezone.localdate()),
        "now": timezone.now(),
    }


# --- Book a plan's timetable ------------------------------------------------------


def _rows_initial(proposal) -> list[dict]:
    return [
        {
            "include": True,
            "discipline": a.discipline,
            "therapist_id": a.therapist_id,
            "minutes": a.minutes,
            "date": a.start.date(),
            "start_time": a.start.time(),
        }
        for a in proposal.appointments
    ]


def _therapist_names(plan: RehabPlan) -> dict[int, str]:
    return {
        allocation.therapist_id: allocation.therapist.display_name
        for stage in plan.stages.all()
        for allocation in stage.allocations.all()
        if allocation.therapist_id
    }


@require_http_methods(["GET", "POST"])
def plan_timetable(request, pk: int):
    """Preview the next weeks from the stage's mix, adjust any row, confirm."""
    plan = _plan_or_404(pk)
    access.require_book(request.user)
    today = timezone.localdate()
    proposal = None
    formset = None
    proposal_form = ProposalForm(
        request.GET if "first_day" in request.GET else None,
        initial={"first_day": next_monday(today), "weeks": services.DEFAULT_WEEKS},
    )
    if request.method == "POST":
        formset = ProposedRowFormSet(request.POST, prefix="row")
        if formset.is_valid():
            slots = [
                services.Slot(
                    discipline=form.cleaned_data["discipline"],
                    therapist_id=form.cleaned_data["therapist_id"],
                    start=form.start(),
                    minutes=form.cleaned_data["minutes"],
                )
                for form in formset.forms
                if form.cleaned_data.get("include")
            ]
            included = [form for form in formset.forms if form.cleaned_data.get("include")]
            try:
                booked = services.book_appointments(plan=plan, slots=slots, by=request.user)
            except services.SlotErrors as error:
                for index, problems in error.by_slot.items():
                    for problem in problems:
                        included[index].add_error(None, problem)
                messages.error(request, "Nothing was booked: see the rows marked below.")
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request,
                    f"{len(booked)} appointment{'s' if len(booked) != 1 else ''} booked for "
                    f"{plan.patient.full_name}.",
                )
                return redirect("scheduling:plan_timetable", pk=plan.pk)
    elif proposal_form.is_bound and proposal_form.is_valid():
        proposal = services.preview(
            plan=plan,
            first_day=proposal_form.cleaned_data["first_day"],
            weeks=proposal_form.cleaned_data["weeks"],
        )
        formset = ProposedRowFormSet(initial=_rows_initial(proposal), prefix="row")
    now = timezone.now()
    upcoming = list(
        Appointment.objects.filter(plan=plan, start__gte=now)
        .exclude(status__in=Appointment.CANCELLED)
        .select_related("therapist")
        .order_by("start")
    )
    return render(
        request,
        "scheduling/plan_timetable.html",
        {
            "plan": plan,
            "patient": plan.patient,
            "stage": plan.current_stage,
            "needs": selectors.needs_of(plan.current_stage),
            "proposal_form": proposal_form,
            "proposal": proposal,
            "formset": formset,
            "names": _therapist_names(plan),
            "upcoming": upcoming,
            "review": TimetableReview.objects.waiting().filter(plan=plan).first(),
        },
    )


@require_http_methods(["GET", "POST"])
def plan_review(request, pk: int):
    """What changes in the future timetable after the mix moved, to confirm."""
    plan = _plan_or_404(pk)
    access.require_book(request.user)
    error = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "dismiss":
            services.dismiss_review(plan=plan, by=request.user)
            messages.info(request, "The timetable is kept as it is.")
            return redirect("scheduling:plan_timetable", pk=plan.pk)
        try:
            diff = services.apply_review(
                plan=plan, by=request.user, fingerprint=request.POST.get("fingerprint", "")
            )
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            messages.success(
                request,
                f"Timetable updated: {len(diff.cancel)} cancelled, {len(diff.add)} booked, "
                f"{len(diff.keep)} kept.",
            )
            return redirect("scheduling:plan_timetable", pk=plan.pk)
    diff = services.review_diff(plan)
    return render(
        request,
        "scheduling/plan_review.html",
        {
            "plan": plan,
            "patient": plan.patient,
            "stage": plan.current_stage,
            "diff": diff,
            "names": _therapist_names(plan),
            "error": error,
            "review": TimetableReview.objects.waiting().filter(plan=plan).first(),
        },
        status=409 if error else 200,
    )


# --- One appointment ---------------------------------------------------------------


def _appointment_or_404(pk: int) -> Appointment:
    return get_object_or_404(
        Appointment.objects.select_related(
            "plan__patient", "plan__protocol", "therapist", "therapy_session"
        ),
        pk=pk,
    )


def _default_next(user, appointment: Appointment) -> str:
    if user.pk == appointment.therapist_id:
        return reverse("scheduling:therapist_week", args=[user.pk])
    return reverse("scheduling:plan_timetable", args=[appointment.plan_id])


@require_http_methods(["GET", "POST"])
def appointment_detail(request, pk: int):
    """One appointment: move it, or mark what happened."""
    appointment = _appointment_or_404(pk)
    user = request.user
    can_move = access.can_move(user, appointment)
    if not (
        can_move
        or access.can_mark_missed(user, appointment)
        or access.can_mark_attended(user, appointment)
    ):
        access.require(False)
    next_url = safe_next(request, _default_next(user, appointment))
    if request.method == "POST":
        access.require(can_move)
        form = MoveForm(request.POST)
        if form.is_valid():
            try:
                services.move_appointment(appointment=appointment, start=form.start(), by=user)
            except ValidationError as error:
                add_service_errors(form, error, field_map={"start": "start_time"})
            else:
                appointment.refresh_from_db()
                messages.success(
                    request,
                    f"Moved to {date_format(appointment.local_start, 'l j M, H:i')} "
                    f"for {appointment.plan.patient.full_name}.",
                )
                return redirect(next_url)
    else:
        form = MoveForm.for_appointment(appointment)
    return render(
        request,
        "scheduling/appointment_detail.html",
        {
            "appointment": appointment,
            "form": form,
            "missed_form": MissedForm(),
            "can_move": can_move and appointment.is_booked and appointment.start > timezone.now(),
            "can_mark_missed": access.can_mark_missed(user, appointment) and appointment.is_booked,
            "can_mark_attended": access.can_mark_attended(user, appointment)
            and appointment.is_booked
            and appointment.plan.is_active
            and appointment.local_start.date() <= timezone.localdate(),
            "can_mark_absent": appointment.local_start.date() <= timezone.localdate(),
            "can_view_timetable": access.can_view_plan_timetable(user, appointment.plan),
            "can_view_plan": plan_access.can_view_plan(user, appointment.plan),
            "can_book": access.can_book(user),
            # A booked appointment of a plan that changed may move or go at the review.
            "review": appointment.is_booked
            and TimetableReview.objects.waiting().filter(plan_id=appointment.plan_id).first(),
            "next_url": next_url,
        },
    )


@require_POST
def appointment_missed(request, pk: int):
    """One click: patient absent, cancelled by the clinic or by the patient."""
    appointment = _appointment_or_404(pk)
    access.require(access.can_mark_missed(request.user, appointment))
    form = MissedForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Choose patient absent, cancelled by clinic or by patient.")
    status = form.cleaned_data["status"]
    next_url = safe_next(request, _default_next(request.user, appointment))
    try:
        services.mark_missed(
            appointment=appointment,
            status=status,
            by=request.user,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"{Appointment.Status(status).label}: {appointment.plan.patient.full_name}, "
            f"{date_format(appointment.local_start, 'l j M, H:i')}.",
        )
    return redirect(next_url)


@require_http_methods(["GET", "POST"])
def appointment_attended(request, pk: int):
    """The session form, prefilled from the appointment; saving marks it attended."""
    appointment = _appointment_or_404(pk)
    access.require(access.can_mark_attended(request.user, appointment))
    plan = _plan_or_404(appointment.plan_id)
    stage = plan.stage_on(appointment.local_start.date()) or plan.current_stage
    focus = stage.focus_areas(appointment.discipline) if stage else []
    next_url = safe_next(request, _default_next(request.user, appointment))
    refusal = None
    if not appointment.is_booked:
        refusal = f"This appointment is already marked {appointment.get_status_display().lower()}."
    elif appointment.local_start.date() > timezone.localdate():
        refusal = "An appointment is marked attended on its day or after."
    if request.method == "POST" and refusal is None:
        form = AttendedForm(request.POST, focus_choices=focus)
        if form.is_valid():
            try:
                services.mark_attended(
                    appointment=appointment, by=request.user, **form.session_values()
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Session logged for {plan.patient.full_name}: attended.")
                return redirect(next_url)
    else:
        form = AttendedForm(
            initial={
                "date": appointment.local_start.date(),
                "start_time": appointment.local_start.time(),
                "duration_minutes": appointment.minutes,
            },
            focus_choices=focus,
        )
    return render(
        request,
        "scheduling/appointment_attended.html",
        {
            "appointment": appointment,
            "plan": plan,
            "form": form,
            "focus_for_discipline": focus,
            "refusal": refusal,
            "next_url": next_url,
            "discipline_label": Discipline(appointment.discipline).label,
        },
        status=409 if refusal and request.method == "POST" else 200,
    )


# --- Week views -------------------------------------------------------------------


@require_GET
def my_week(request):
    """Where the Timetable menu leads: a therapist's own week, else the clinic's."""
    if request.user.is_therapist:
        return redirect("scheduling:therapist_week", pk=request.user.pk)
    access.require(access.can_view_clinic(request.user))
    return redirect("scheduling:clinic_week")


@require_GET
def therapist_week(request, pk: int):
    therapist = get_object_or_404(User, pk=pk)
    access.require(access.can_view_therapist_week(request.user, therapist))
    if therapist.discipline is None:
        raise Http404("Only therapists have a timetable.")
    monday = selectors.monday_of(request.GET.get("week"), timezone.localdate())
    days = selectors.therapist_week(therapist, monday)
    return render(
        request,
        "scheduling/therapist_week.html",
        {
            "therapist": therapist,
            "days": days,
            "under_review": selectors.any_under_review(
                appointment for day in days for appointment in day.appointments
            ),
            "is_own": therapist.pk == request.user.pk,
            **_week_context(request, monday),
        },
    )


@require_GET
def patient_week(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    access.require(access.can_view_patient_week(request.user, patient))
    monday = selectors.monday_of(request.GET.get("week"), timezone.localdate())
    days = selectors.patient_week(patient, monday)
    return render(
        request,
        "scheduling/patient_week.html",
        {
            "patient": patient,
            "days": days,
            "under_review": selectors.any_under_review(
                appointment for day in days for appointment in day.appointments
            ),
            **_week_context(request, monday),
        },
    )


@require_GET
def clinic_week(request):
    access.require(access.can_view_clinic(request.user))
    discipline = request.GET.get("discipline", Discipline.PT)
    if discipline not in Discipline.values:
        discipline = Discipline.PT
    monday = selectors.monday_of(request.GET.get("week"), timezone.localdate())
    columns = selectors.clinic_week(monday, discipline)
    demand = [
        {"figures": figures, "hours": round(figures.minutes / 60, 1)}
        for figures in clinic_demand(monday).values()
    ]
    return render(
        request,
        "scheduling/clinic_week.html",
        {
            "demand": demand,
            "discipline": discipline,
            "discipline_label": Discipline(discipline).label,
            "disciplines": Discipline.choices,
            "columns": columns,
            "under_review": selectors.any_under_review(
                appointment
                for column in columns
                for day in column.days
                for appointment in day.appointments
            ),
            "weekdays": [monday + datetime.timedelta(days=n) for n in range(7)],
            **_week_context(request, monday),
        },
    )


@require_POST
def patient_preference(request, pk: int):
    """The time of day the patient prefers, from the patient page."""
    patient = get_object_or_404(Patient, pk=pk)
    access.require_book(request.user)
    form = PreferenceForm(request.POST)
    if form.is_valid():
        preference = services.set_preference(
            patient=patient, time_of_day=form.cleaned_data["time_of_day"], by=request.user
        )
        messages.success(
            request,
            f"{patient.full_name} prefers: {preference.get_time_of_day_display().lower()}.",
        )
    else:
        messages.error(request, "Choose morning, afternoon or any time.")
    return redirect(safe_next(request, reverse("patients:detail", args=[patient.pk])))


# --- The private calendar address ---------------------------------------------------


@require_http_methods(["GET", "POST"])
def calendar_address(request):
    """A therapist makes, replaces or revokes the secret address of their calendar."""
    user = request.user
    access.require(access.can_manage_feed(user, user))
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            _token, secret = services.create_feed_token(therapist=user, by=user)
            address = request.build_absolute_uri(reverse("scheduling:feed", args=[secret]))
            messages.success(
                request,
                f"Your calendar address is {address} — copy it now into your phone's calendar "
                "(“add calendar by address” or “subscribe”). It is shown only this once; "
                "make a new one if you lose it.",
            )
        elif action == "revoke":
            if services.revoke_feed_token(therapist=user, by=user):
                messages.success(request, "Your calendar address no longer works.")
            else:
                messages.info(request, "You had no calendar address to revoke.")
        else:
            return HttpResponseBadRequest("Choose to make or to revoke the address.")
        return redirect("scheduling:calendar_address")
    live = CalendarFeedToken.objects.filter(therapist=user, revoked_at__isnull=True).first()
    return render(request, "scheduling/calendar_address.html", {"live": live})


@login_not_required
@never_cache
@require_GET
def feed(request, secret: str):
    """The therapist's appointments as iCalendar, for a phone: the secret is the key."""
    therapist = services.therapist_for_feed(secret)
    if therapist is None:
        raise Http404("No such calendar.")
    now = timezone.now()
    appointments = (
        Appointment.objects.filter(
            therapist=therapist,
            start__gte=now - datetime.timedelta(days=FEED_DAYS_BACK),
            start__lt=now + datetime.timedelta(days=FEED_DAYS_AHEAD),
        )
        .select_related("plan__patient")
        .order_by("start")
    )
    text = ical.calendar(therapist, appointments, host=request.get_host().split(":")[0])
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="timetable.ics"'
    return response


# --- The clinic calendar: holidays, leave and working hours ---------------------------


def _calendar_page(request, *, holiday_form=None, leave_form=None, status=200):
    """The calendar page; the add views render it again with a refused form."""
    access.require(access.can_keep_calendar(request.user))
    today = timezone.localdate()
    calendar = selectors.clinic_calendar(today, timezone.now())
    therapists = selectors.therapists_queryset()
    weekdays = Weekday.choices
    return render(
        request,
        "scheduling/calendar.html",
        {
            "calendar": calendar,
            "week_rows": [
                (therapist, [calendar.hours[therapist.pk].get(day) for day, _ in weekdays])
                for therapist in calendar.therapists
            ],
            "weekdays": weekdays,
            "holiday_form": holiday_form or HolidayForm(),
            "leave_form": leave_form or LeaveForm(therapists=therapists),
        },
        status=status,
    )


@require_GET
def clinic_calendar(request):
    return _calendar_page(request)


def _clashes_note(clashes: int, where: str) -> str:
    if not clashes:
        return ""
    if clashes == 1:
        return f" 1 booked appointment falls {where}: move it from the list below."
    return f" {clashes} booked appointments fall {where}: move them from the list below."


@require_POST
def holiday_add(request):
    access.require(access.can_keep_calendar(request.user))
    form = HolidayForm(request.POST)
    if form.is_valid():
        try:
            holiday = services.add_holiday(**form.cleaned_data, by=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            clashes = selectors.booked_on_holiday(holiday).count()
            messages.success(
                request,
                f"The clinic is closed on {date_format(holiday.date, 'D j M Y')} ({holiday.name})."
                + _clashes_note(clashes, "on that day"),
            )
            return redirect("scheduling:clinic_calendar")
    return _calendar_page(request, holiday_form=form)


@require_POST
def leave_add(request):
    access.require(access.can_keep_calendar(request.user))
    form = LeaveForm(request.POST, therapists=selectors.therapists_queryset())
    if form.is_valid():
        try:
            leave = services.add_leave(**form.cleaned_data, by=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            clashes = selectors.booked_in_leave(leave).count()
            messages.success(
                request,
                f"{leave.therapist.display_name} is on leave from "
                f"{date_format(leave.start_date, 'j M')} to {date_format(leave.end_date, 'j M Y')}."
                + _clashes_note(clashes, "in it"),
            )
            return redirect("scheduling:clinic_calendar")
    return _calendar_page(request, leave_form=form)


@require_POST
def holiday_remove(request, pk: int):
    access.require(access.can_keep_calendar(request.user))
    holiday = get_object_or_404(ClinicHoliday, pk=pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Confirm that this holiday should be removed.")
    else:
        services.remove_holiday(holiday=holiday, by=request.user)
        messages.success(request, f"{date_format(holiday.date, 'D j M Y')} is a working day again.")
    return redirect("scheduling:clinic_calendar")


@require_POST
def leave_remove(request, pk: int):
    access.require(access.can_keep_calendar(request.user))
    leave = get_object_or_404(Leave.objects.select_related("therapist"), pk=pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Confirm that this leave should be removed.")
    else:
        services.remove_leave(leave=leave, by=request.user)
        messages.success(
            request,
            f"{leave.therapist.display_name}'s leave from "
            f"{date_format(leave.start_date, 'j M')} is removed.",
        )
    return redirect("scheduling:clinic_calendar")


@require_http_methods(["GET", "POST"])
def working_hours(request, pk: int):
    """A therapist's week: each weekday worked from and to, or a day off."""
    access.require(access.can_keep_calendar(request.user))
    therapist = get_object_or_404(selectors.therapists_queryset(), pk=pk)
    weekdays = Weekday.choices
    current = selectors.working_hours_of([therapist.pk])[therapist.pk]
    shown = WorkingWeekFormSet(
        initial=[
            {
                "works": day in current,
                "start": current[day][0] if day in current else None,
                "end": current[day][1] if day in current else None,
            }
            for day, _ in weekdays
        ]
    )
    formset, refusals = shown, []
    if request.method == "POST":
        formset = WorkingWeekFormSet(request.POST)
        if len(formset.forms) != len(weekdays):
            # Not this page's form (or a truncated one): show the week as saved.
            formset = shown
            refusals = ["The week did not arrive whole: nothing was saved. Try again."]
        elif formset.is_valid():
            hours = {day: form.hours() for (day, _), form in zip(weekdays, formset, strict=True)}
            try:
                services.set_working_hours(therapist=therapist, hours=hours, by=request.user)
            except ValidationError as error:
                refusals = error.messages
            else:
                stranded = len(selectors.booked_outside_hours(therapist, timezone.now()))
                messages.success(
                    request,
                    f"{therapist.display_name}'s working week is saved."
                    + _clashes_note(stranded, "outside it"),
                )
                return redirect("scheduling:clinic_calendar")
    return render(
        request,
        "scheduling/working_hours.html",
        {
            "therapist": therapist,
            "rows": list(zip(weekdays, formset, strict=True)),
            "formset": formset,
            "refusals": refusals,
        },
    )
