"""A patient's plan: starting it, its page, the physician's changes and the family summary.

Physicians start and change plans; therapists allocated to a plan read it; every
change goes through one function of `plans.services`, whose refusals are shown
next to the field they concern.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import OuterRef, Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from patients.models import Diagnosis
from plans import access, selectors, services
from plans.forms import (
    CONCERN_CHOICES,
    AdvanceStageForm,
    AllocateForm,
    IndividualiseForm,
    PlanStartForm,
    PlanStatusForm,
)
from plans.models import (
    Mix,
    PlanStage,
    PlanStatusChange,
    RehabPlan,
    StageMixChange,
    StageTransition,
    TherapySession,
)
from rehab.forms import add_service_errors
from rehab.models import Discipline, Role

SESSIONS_PER_PAGE = 20
ADHERENCE_WEEKS = 8
CLOSED = (RehabPlan.Status.COMPLETED, RehabPlan.Status.DISCONTINUED)

# The buttons of the status form, in the order a physician reads them.
STATUS_ACTIONS = [
    (RehabPlan.Status.ACTIVE, "Resume", "btn-success"),
    (RehabPlan.Status.ON_HOLD, "Put on hold", "btn-warning"),
    (RehabPlan.Status.COMPLETED, "Complete", "btn-primary"),
    (RehabPlan.Status.DISCONTINUED, "Discontinue", "btn-outline-danger"),
]
STATUS_DONE_MESSAGES = {
    RehabPlan.Status.ACTIVE: "The plan is active again.",
    RehabPlan.Status.ON_HOLD: "The plan is on hold.",
    RehabPlan.Status.COMPLETED: "The plan is completed.",
    RehabPlan.Status.DISCONTINUED: "The plan is discontinued.",
}
ALLOCATION_FIELDS = {Discipline.PT: "physiotherapist", Discipline.OT: "occupational_therapist"}


def _plan_or_404(pk: int) -> RehabPlan:
    return get_object_or_404(selectors.plan_with_stages(), pk=pk)


# --- Start a plan ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def plan_start(request, diagnosis_pk: int):
    access.require(access.is_physician(request.user))
    diagnosis = get_object_or_404(
        Diagnosis.objects.select_related("patient", "condition"), pk=diagnosis_pk
    )
    if request.method == "POST":
        form = PlanStartForm(request.POST, diagnosis=diagnosis, lead_physician=request.user)
        if form.is_valid():
            try:
                plan = services.start_plan(
                    patient=diagnosis.patient, diagnosis=diagnosis, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                first = plan.stages.get(status=PlanStage.Status.CURRENT)
                messages.success(
                    request,
                    f"Plan started for {diagnosis.patient.full_name} on {plan.protocol}: "
                    f"stage {first.order}, {first.name}.",
                )
                return redirect("plans:plan_detail", pk=plan.pk)
    else:
        # The intake answer may come in the address so the list opens already sorted.
        concern = request.GET.get("primary_concern", "")
        known = {value for value, _ in CONCERN_CHOICES}
        initial = {"primary_concern": concern} if concern in known else {}
        form = PlanStartForm(initial=initial, diagnosis=diagnosis, lead_physician=request.user)
    active_plan = (
        diagnosis.plans.filter(status=RehabPlan.Status.ACTIVE).select_related("protocol").first()
    )
    return render(
        request,
        "plans/plan_start.html",
        {
            "diagnosis": diagnosis,
            "patient": diagnosis.patient,
            "form": form,
            "active_plan": active_plan,
        },
    )


# --- The plan page -------------------------------------------------------------


@dataclass(frozen=True)
class StageRow:
    """One stage of the timeline, with what the page says about its mix."""

    entry: selectors.TimelineEntry
    latest_change: StageMixChange | None
    can_individualise: bool

    @property
    def stage(self) -> PlanStage:
        return self.entry.stage


@dataclass(frozen=True)
class AllocationRow:
    discipline: str
    label: str
    therapist: object  # a User, or None when nobody is allocated yet
    sessions_per_week: int
    minutes_per_session: int


def _allocation_stage(plan: RehabPlan) -> PlanStage | None:
    """The stage whose allocations count now: the current one, else the last one lived."""
    stages = list(plan.stages.all())
    current = next((s for s in stages if s.is_current), None)
    if current is not None:
        return current
    lived = [s for s in stages if s.started_on]
    return max(lived, key=lambda s: s.order) if lived else None


def _allocation_rows(plan: RehabPlan) -> list[AllocationRow]:
    stage = _allocation_stage(plan)
    by_discipline = {a.discipline: a for a in stage.allocations.all()} if stage else {}
    rows = []
    for discipline in selectors.DISCIPLINES:
        allocation = by_discipline.get(discipline)
        rows.append(
            AllocationRow(
                discipline=discipline,
                label=Discipline(discipline).label,
                therapist=allocation.therapist if allocation else None,
                sessions_per_week=allocation.sessions_per_week if allocation else 0,
                minutes_per_session=allocation.minutes_per_session if allocation else 0,
            )
        )
    return rows


def _is_allocated_here(user, plan: RehabPlan) -> bool:
    """The same answer as `access.is_allocated`, read from the prefetched allocations."""
    discipline = user.discipline
    return discipline is not None and any(
        allocation.therapist_id == user.pk and allocation.discipline == discipline
        for stage in plan.stages.all()
        for allocation in stage.allocations.all()
    )


def _plan_page(request, plan: RehabPlan, *, advance_form=None, status_form=None):
    """The plan page; the stage and status views render it again with a refused form."""
    # Read once for the page: the same rows give the log and the weeks on hold
    # (plan_weeks, and the timetable panel's weeks).
    prefetch_related_objects(
        [plan],
        Prefetch("status_changes", queryset=PlanStatusChange.objects.select_related("changed_by")),
    )
    user = request.user
    today = timezone.localdate()
    can_change = access.can_change_plan(user, plan)
    is_open = plan.status not in CLOSED

    timeline = selectors.mix_timeline(plan)
    mix_changes = list(
        StageMixChange.objects.filter(plan_stage__plan=plan).select_related(
            "plan_stage", "changed_by"
        )
    )
    latest_change = {}
    for change in mix_changes:  # newest first
        latest_change.setdefault(change.plan_stage_id, change)
    stage_rows = [
        StageRow(
            entry=entry,
            latest_change=latest_change.get(entry.stage.pk),
            can_individualise=can_change
            and is_open
            and entry.stage.status != PlanStage.Status.DONE,
        )
        for entry in timeline
    ]
    weeks = selectors.plan_weeks(
        plan, selectors.recent_weeks(today, ADHERENCE_WEEKS, since=plan.start_date)
    )
    sessions = plan.sessions.select_related("therapist", "plan_stage")
    paginator = Paginator(sessions, SESSIONS_PER_PAGE)
    if hasattr(plan, "session_count"):  # counted with the plan (plan_detail)
        paginator.count = plan.session_count
    page_obj = paginator.get_page(request.GET.get("page"))
    session_rows = [(session, access.can_correct_session(user, session)) for session in page_obj]
    transitions = list(
        StageTransition.objects.filter(plan=plan).select_related(
            "from_stage", "to_stage", "changed_by"
        )
    )
    status_changes = list(plan.status_changes.all())
    allowed_statuses = services.PLAN_STATUS_CHANGES[RehabPlan.Status(plan.status)]
    context = {
        "plan": plan,
        "patient": plan.patient,
        "current_stage": plan.current_stage,
        "timeline": timeline,
        "stage_rows": stage_rows,
        "weeks": weeks,
        "allocation_rows": _allocation_rows(plan),
        "page_obj": page_obj,
        "session_rows": session_rows,
        "transitions": transitions,
        "mix_changes": mix_changes,
        "status_changes": status_changes,
        "can_change": can_change,
        "is_open": is_open,
        "can_log_session": plan.is_active and _is_allocated_here(user, plan),
        "advance_form": advance_form or AdvanceStageForm(plan=plan),
        "status_form": status_form or _status_form(plan),
        "status_actions": [
            (value, label, style)
            for value, label, style in STATUS_ACTIONS
            if value in allowed_statuses
        ],
    }
    return render(request, "plans/plan_detail.html", context)


def _status_form(plan: RehabPlan) -> PlanStatusForm:
    form = PlanStatusForm()
    form.fields["version"].initial = plan.version
    return form


@require_GET
def plan_detail(request, pk: int):
    # The session log's page count comes with the plan: one query fewer.
    sessions = TherapySession.objects.filter(plan=OuterRef("pk"))
    plan = get_object_or_404(
        selectors.plan_with_stages().annotate(session_count=selectors.count_of(sessions)), pk=pk
    )
    access.require(access.can_view_plan(request.user, plan))
    return _plan_page(request, plan)


# --- The physician's changes -------------------------------------------------


def _name(user) -> str:
    return user.display_name if user else "not yet allocated"


@require_http_methods(["GET", "POST"])
def plan_allocate(request, pk: int):
    plan = _plan_or_404(pk)
    access.require(access.can_change_plan(request.user, plan))
    current = {d: plan.allocated_therapist(d) for d in selectors.DISCIPLINES}
    if request.method == "POST":
        form = AllocateForm(request.POST)
        if form.is_valid():
            chosen = {d: form.cleaned_data[field] for d, field in ALLOCATION_FIELDS.items()}
            changes = [d for d in selectors.DISCIPLINES if chosen[d] != current[d]]
            if not changes:
                messages.info(request, "Nothing changed: the same therapists are allocated.")
                return redirect("plans:plan_detail", pk=plan.pk)
            try:
                # Both disciplines or neither: a refusal of the second undoes the first.
                with transaction.atomic():
                    for number, discipline in enumerate(changes):
                        try:
                            services.allocate_therapist(
                                plan=plan,
                                discipline=discipline,
                                therapist=chosen[discipline],
                                by=request.user,
                                # The first change checks the page was current; the
                                # second follows it in the same transaction.
                                expected_version=(
                                    form.cleaned_data["version"] if number == 0 else None
                                ),
                            )
                        except ValidationError as error:
                            add_service_errors(
                                form, error, field_map={"therapist": ALLOCATION_FIELDS[discipline]}
                            )
                            raise
            except ValidationError:
                pass
            else:
                messages.success(
                    request,
                    " ".join(
                        f"{Discipline(d).label}: now {_name(chosen[d])} (was {_name(current[d])})."
                        for d in changes
                    ),
                )
                return redirect("plans:plan_detail", pk=plan.pk)
    else:
        form = AllocateForm(initial={field: current[d] for d, field in ALLOCATION_FIELDS.items()})
        form.fields["version"].initial = plan.version
    return render(
        request,
        "plans/plan_allocate.html",
        {"plan": plan, "patient": plan.patient, "form": form, "is_open": plan.status not in CLOSED},
    )


@require_http_methods(["GET", "POST"])
def plan_individualise(request, pk: int, stage_pk: int):
    plan = get_object_or_404(
        RehabPlan.objects.select_related("patient", "diagnosis__condition", "protocol"), pk=pk
    )
    access.require(access.can_change_plan(request.user, plan))
    stage = get_object_or_404(
        PlanStage.objects.select_related("protocol_stage"), pk=stage_pk, plan=plan
    )
    if request.method == "POST":
        form = IndividualiseForm(request.POST)
        if form.is_valid():
            try:
                stage = services.individualise_stage_mix(
                    stage=stage,
                    pt_sessions_per_week=form.cleaned_data["pt_sessions_per_week"],
                    ot_sessions_per_week=form.cleaned_data["ot_sessions_per_week"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                    expected_version=form.cleaned_data["version"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    f"Stage {stage.order} now has {stage.pt_sessions_per_week} PT and "
                    f"{stage.ot_sessions_per_week} OT sessions a week.",
                )
                return redirect("plans:plan_detail", pk=plan.pk)
    else:
        form = IndividualiseForm(
            initial={
                "pt_sessions_per_week": stage.pt_sessions_per_week,
                "ot_sessions_per_week": stage.ot_sessions_per_week,
            }
        )
        form.fields["version"].initial = plan.version
    return render(
        request,
        "plans/plan_individualise.html",
        {
            "plan": plan,
            "patient": plan.patient,
            "stage": stage,
            "form": form,
            "changes": stage.mix_changes.select_related("changed_by"),
        },
    )


@require_POST
def plan_advance(request, pk: int):
    plan = _plan_or_404(pk)
    access.require(access.can_change_plan(request.user, plan))
    form = AdvanceStageForm(request.POST, plan=plan)
    if form.is_valid():
        try:
            stage = services.advance_stage(
                plan=plan,
                by=request.user,
                reason=form.cleaned_data["reason"],
                to_order=form.cleaned_data["to_order"],
                effective_date=form.cleaned_data["effective_date"],
                expected_stage_order=form.cleaned_data["expected_stage_order"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Moved to stage {stage.order}: {stage.name}.")
            return redirect("plans:plan_detail", pk=plan.pk)
    # The form is far down a long page: the message links to it.
    messages.error(
        request,
        format_html('The stage did not change: <a href="#advance-heading">see the stage form</a>.'),
    )
    return _plan_page(request, plan, advance_form=form)


@require_POST
def plan_status(request, pk: int):
    plan = _plan_or_404(pk)
    access.require(access.can_change_plan(request.user, plan))
    form = PlanStatusForm(request.POST)
    if form.is_valid():
        try:
            services.change_plan_status(
                plan=plan,
                status=form.cleaned_data["status"],
                by=request.user,
                reason=form.cleaned_data["reason"],
                effective_date=form.cleaned_data["effective_date"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, STATUS_DONE_MESSAGES[form.cleaned_data["status"]])
            return redirect("plans:plan_detail", pk=plan.pk)
    messages.error(
        request,
        format_html(
            'The plan\'s status did not change: <a href="#status-heading">see the status form</a>.'
        ),
    )
    return _plan_page(request, plan, status_form=form)


# --- The family summary ----------------------------------------------------------

# What each therapy is for, in the guide's plain words.
WHAT_PT_DOES = (
    "Physiotherapy (PT) works on how the body moves: strength, balance, walking, posture and pain."
)
WHAT_OT_DOES = (
    "Occupational therapy (OT) works on daily life: bathing, dressing, eating, using the "
    "toilet, moving safely from bed to chair, using the hands, and tasks at home and at work."
)
THREE_AIMS = ["move better", "live more independently", "feel more confident"]
FOCUS_IN_WORDS = {
    "PT-led": "The focus moves towards movement: strength, balance and walking.",
    "OT-led": "The focus moves towards everyday tasks and independence at home.",
    "Balanced": "Both therapies get the same time.",
}


def can_see_family_summary(user, plan: RehabPlan) -> bool:
    """The plan's clinicians, and the front desk, who print it for the family.

    The page holds nothing a family may not read (no notes, no reasons), so the
    front desk may hand it over; a therapist not on the plan has no reason to.
    """
    return access.can_view_plan(user, plan) or user.has_role(Role.FRONT_DESK)


def sessions_in_words(count: int) -> str:
    return "1 session" if count == 1 else f"{count} sessions"


def mix_change_in_words(name: str, before: int, after: int) -> str:
    """How one therapy's sessions a week change between two stages, for a family."""
    if before == after:
        return f"{name} stays at {sessions_in_words(after)} a week"
    if before == 0:
        return f"{name} starts, with {sessions_in_words(after)} a week"
    if after == 0:
        return f"{name} stops (it was {sessions_in_words(before)} a week)"
    direction = "goes up" if after > before else "goes down"
    return f"{name} {direction} from {before} to {sessions_in_words(after)} a week"


def next_stage_in_words(current: Mix, following: Mix) -> str:
    sentence = (
        mix_change_in_words(
            "Physiotherapy", current.pt_sessions_per_week, following.pt_sessions_per_week
        )
        + "; "
        + mix_change_in_words(
            "occupational therapy", current.ot_sessions_per_week, following.ot_sessions_per_week
        )
        + "."
    )
    if following.lead != current.lead:
        sentence += " " + FOCUS_IN_WORDS[following.lead]
    return sentence


@require_GET
def family_summary(request, pk: int):
    plan = _plan_or_404(pk)
    access.require(can_see_family_summary(request.user, plan))
    timeline = selectors.mix_timeline(plan)
    current = plan.current_stage
    following_entry = (
        next((e for e in timeline if e.stage.order == current.order + 1), None) if current else None
    )
    therapists = {row.discipline: row.therapist for row in _allocation_rows(plan)}
    context = {
        "plan": plan,
        "patient": plan.patient,
        "diagnosis": plan.diagnosis,
        "stage": current,
        "stage_count": len(timeline),
        "following": following_entry.stage if following_entry else None,
        "following_starts": following_entry.starts if following_entry else None,
        "change_in_words": (
            next_stage_in_words(current.mix, following_entry.mix) if following_entry else ""
        ),
        "what_pt_does": WHAT_PT_DOES,
        "what_ot_does": WHAT_OT_DOES,
        "three_aims": THREE_AIMS,
        "physiotherapist": therapists.get(Discipline.PT),
        "occupational_therapist": therapists.get(Discipline.OT),
        "clinic_phone": settings.CLINIC_PHONE,
        "is_closed": plan.status in CLOSED,
        "today": timezone.localdate(),
    }
    return render(request, "plans/family_summary.html", context)
