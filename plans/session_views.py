"""Therapists log, mark as missed and correct therapy sessions.

Only a therapist allocated to the plan in their own discipline logs on it; the
discipline comes from their role. A therapist corrects their own entry for 24
hours, a physician at any time (plans.services.SELF_CORRECTION_WINDOW).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from plans import access, selectors, services
from plans.models import RehabPlan, TherapySession
from plans.session_forms import MissedSessionForm, SessionForm
from rehab.forms import add_service_errors
from rehab.models import Discipline


def safe_next(request, default: str) -> str:
    """The `next` URL when it stays on this site, else the default."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _plan_for_sessions(pk: int) -> RehabPlan:
    return get_object_or_404(selectors.plan_with_stages(RehabPlan.objects.filter(pk=pk)))


def _refusal(plan: RehabPlan) -> str | None:
    """Why no session can be logged on this plan now (the service's own rule)."""
    if plan.is_active:
        return None
    return (
        f"This plan is {plan.get_status_display().lower()}; "
        "sessions are logged on active plans only."
    )


def _require_allocated(user, plan: RehabPlan) -> None:
    # Allocated in their own discipline; whether the plan is active is told on
    # the page rather than with a 403, since the therapist does belong here.
    access.require(access.is_allocated(user, plan))


@require_http_methods(["GET", "POST"])
def session_log(request, pk):
    plan = _plan_for_sessions(pk)
    _require_allocated(request.user, plan)
    discipline = request.user.discipline
    stage = plan.current_stage
    focus_choices = stage.focus_areas(discipline) if stage else []
    next_url = safe_next(request, reverse("home"))

    if request.method == "POST":
        form = SessionForm(request.POST, focus_choices=focus_choices)
        if form.is_valid():
            try:
                services.log_session(
                    plan=plan,
                    therapist=request.user,
                    logged_by=request.user,
                    **form.session_values(),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Session logged for {plan.patient.full_name}.")
                return redirect(next_url)
    else:
        initial = {}
        if stage:
            initial["duration_minutes"] = stage.minutes_per_session(discipline)
        form = SessionForm(
            initial={"date": timezone.localdate(), **initial}, focus_choices=focus_choices
        )

    return render(
        request,
        "sessions/session_form.html",
        {
            "form": form,
            "plan": plan,
            "stage": stage,
            "discipline": discipline,
            "discipline_label": Discipline(discipline).label,
            "refusal": _refusal(plan),
            "focus_for_discipline": focus_choices,
            "next_url": next_url,
            "correcting": None,
        },
    )


@require_POST
def session_missed(request, pk):
    plan = get_object_or_404(RehabPlan.objects.select_related("patient"), pk=pk)
    _require_allocated(request.user, plan)
    form = MissedSessionForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Choose no-show or cancelled by clinic.")
    attendance = form.cleaned_data["attendance"]
    try:
        services.record_missed_session(plan=plan, therapist=request.user, attendance=attendance)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if attendance == TherapySession.Attendance.PATIENT_ABSENT:
            text = f"Patient absent recorded for {plan.patient.full_name} today."
        else:
            text = f"Cancelled by clinic recorded for {plan.patient.full_name} today."
        messages.success(request, text)
    return redirect(safe_next(request, reverse("home")))


@require_http_methods(["GET", "POST"])
def session_edit(request, pk):
    session = get_object_or_404(
        TherapySession.objects.select_related(
            "plan__patient", "plan_stage", "therapist", "logged_by"
        ),
        pk=pk,
    )
    user = request.user
    if not access.can_correct_session(user, session):
        if session.therapist_id == user.pk:
            # Their own entry, but too old: say who can still correct it.
            return render(
                request, "sessions/correction_closed.html", {"session": session}, status=403
            )
        access.require(False)

    plan = _plan_for_sessions(session.plan_id)
    focus_choices = session.plan_stage.focus_areas(session.discipline)
    default_next = (
        reverse("home") if user.is_therapist else reverse("plans:plan_detail", args=[plan.pk])
    )
    next_url = safe_next(request, default_next)

    if request.method == "POST":
        form = SessionForm(request.POST, focus_choices=focus_choices)
        if form.is_valid():
            changes = {
                name: value
                for name, value in form.session_values().items()
                if getattr(session, name) != value
            }
            if not changes:
                messages.info(request, "Nothing was changed.")
                return redirect(next_url)
            try:
                services.correct_session(session=session, by=user, **changes)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    f"Session of {date_format(session.date, 'j M Y')} corrected "
                    f"for {plan.patient.full_name}.",
                )
                return redirect(next_url)
    else:
        form = SessionForm.for_session(session, focus_choices)

    return render(
        request,
        "sessions/session_form.html",
        {
            "form": form,
            "plan": plan,
            "stage": session.plan_stage,
            "discipline": session.discipline,
            "discipline_label": Discipline(session.discipline).label,
            "refusal": None,
            "focus_for_discipline": focus_choices,
            "next_url": next_url,
            "correcting": session,
        },
    )
