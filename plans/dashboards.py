"""Home pages: a therapist's worklist and a physician's overview.

Both pages list many plans, so every figure per row comes from one annotated
query or from prefetched stages: the number of queries does not grow with the
number of patients.
"""

import datetime
from dataclasses import dataclass
from functools import cached_property

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Subquery,
    Value,
    When,
    Window,
)
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from plans import access, selectors
from plans.models import (
    PlanStage,
    PlanStatusChange,
    Protocol,
    RehabPlan,
    SessionAllocation,
    TherapySession,
)
from rehab.models import Discipline

ATTENDED = TherapySession.Attendance.ATTENDED


# --- Therapist: my worklist ------------------------------------------------


@dataclass
class WorklistRow:
    plan: RehabPlan
    stage: PlanStage
    allocated: int  # sessions a week of my discipline in the current stage
    attended: int  # attended this week by anyone in my discipline
    logged_today: int  # any session of my discipline dated today, attended or missed
    attended_today: int  # of those, the ones the patient attended
    focus_areas: list[str]

    @property
    def due(self) -> int:
        return max(self.allocated - self.attended, 0)


def therapist_worklist(user, today: datetime.date) -> list[WorklistRow]:
    """Active plans where this therapist gives their discipline in the current stage,
    with this week's and today's sessions counted by the database."""
    discipline = user.discipline
    monday = selectors.week_start(today)
    sunday = monday + datetime.timedelta(days=6)
    my_current_allocation = SessionAllocation.objects.filter(
        plan_stage__plan=OuterRef("pk"),
        plan_stage__status=PlanStage.Status.CURRENT,
        therapist=user,
        discipline=discipline,
    )
    # Correlated counts on the plan-and-date index: only my plans' sessions are read.
    my_discipline = TherapySession.objects.filter(plan=OuterRef("pk"), discipline=discipline)
    # Only the current stage and its allocations: the row needs nothing else.
    current_stage = Prefetch(
        "stages",
        queryset=PlanStage.objects.filter(status=PlanStage.Status.CURRENT).prefetch_related(
            "allocations"
        ),
    )
    plans = (
        RehabPlan.objects.filter(Exists(my_current_allocation), status=RehabPlan.Status.ACTIVE)
        .select_related("patient", "diagnosis__condition")
        .prefetch_related(current_stage)
    ).annotate(
        week_attended=selectors.count_of(
            my_discipline.filter(attendance=ATTENDED, date__range=(monday, sunday))
        ),
        today_logged=selectors.count_of(my_discipline.filter(date=today)),
        today_attended=selectors.count_of(my_discipline.filter(date=today, attendance=ATTENDED)),
    )
    rows = []
    for plan in plans:
        stage = plan.current_stage
        allocation = next(a for a in stage.allocations.all() if a.discipline == discipline)
        rows.append(
            WorklistRow(
                plan=plan,
                stage=stage,
                allocated=allocation.sessions_per_week,
                attended=plan.week_attended,
                logged_today=plan.today_logged,
                attended_today=plan.today_attended,
                focus_areas=stage.focus_areas(discipline),
            )
        )
    # Patients still owed sessions this week come first.
    rows.sort(key=lambda row: (row.due == 0, row.plan.patient.full_name))
    return rows


def sessions_logged_today(user, today: datetime.date):
    """Sessions this therapist logged today, whatever date they were for."""
    midnight = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    return (
        TherapySession.objects.filter(therapist=user, created_at__gte=midnight)
        .select_related("plan__patient")
        .order_by("-created_at")
    )


def therapist_home(request):
    user = request.user
    today = timezone.localdate()
    monday = selectors.week_start(today)
    rows = therapist_worklist(user, today)
    return render(
        request,
        "home/therapist.html",
        {
            "today": today,
            "week_start": monday,
            "week_end": monday + datetime.timedelta(days=6),
            "discipline": user.discipline,
            "discipline_label": Discipline(user.discipline).label,
            "rows": rows,
            "due_count": sum(1 for row in rows if row.due),
            "logged_today": sessions_logged_today(user, today),
        },
    )


# --- Physician: my plans and the plans that need a physician ----------------

# The home lists the first of the physician's own plans that need them; the
# attention page lists the clinic's, the physician's own first, a page at a time.
ATTENTION_ON_HOME = 10
ATTENTION_PER_PAGE = 25
# A physician may lead hundreds of plans across a network: the home shows them a page at a time.
MY_PLANS_PER_PAGE = 25


@dataclass
class PhysicianRow:
    """An active plan annotated by `selectors.with_attention`."""

    plan: RehabPlan
    today: datetime.date
    is_mine: bool

    @cached_property
    def flags(self) -> selectors.AttentionFlags:
        return selectors.attention_flags(self.plan)

    @property
    def stage_name(self) -> str | None:
        return self.plan.current_stage_name

    @property
    def typical_weeks(self) -> int | None:
        return self.plan.current_stage_typical_weeks

    @property
    def week(self) -> int | None:
        """Which week of the stage today falls in: the first seven days are week 1."""
        started = self.plan.current_stage_started_on
        return None if started is None else (self.today - started).days // 7 + 1

    @property
    def reasons(self) -> list[str]:
        flags = self.flags
        reasons = []
        if flags.overdue:
            reasons.append(f"overdue: week {self.week} of a typical {self.typical_weeks}")
        if flags.low_adherence:
            reasons.append(
                f"delivered {flags.recent_delivered} of {flags.recent_allocated} "
                "sessions in two weeks"
            )
        return reasons


def active_plans_with_attention(user, today: datetime.date):
    """Active plans with why they may need a physician, the user's own first,
    then by patient name; nothing is read until the caller slices it."""
    return (
        selectors.with_attention(RehabPlan.objects.filter(status=RehabPlan.Status.ACTIVE), today)
        .select_related("patient", "protocol", "lead_physician")
        .alias(is_mine=Case(When(lead_physician=user, then=Value(0)), default=Value(1)))
        .order_by("is_mine", "patient__full_name", "pk")
    )


def page_counted_by_window(queryset, number, per_page: int) -> Page:
    """A page of `queryset` whose total rides on its rows (a window count): paging
    costs one query, not a COUNT and then the page, which matters when every row
    is computed. Past the last page, Paginator's own answer (the last page)."""
    paginator = Paginator(queryset, per_page)
    try:
        number = max(int(number), 1)
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * per_page
    rows = list(queryset.annotate(in_all=Window(Count("pk")))[start : start + per_page])
    if not rows and number > 1:
        return paginator.get_page(number)
    paginator.count = rows[0].in_all if rows else 0
    return Page(rows, number, paginator)


def physician_rows(plans, user, today: datetime.date) -> list[PhysicianRow]:
    return [PhysicianRow(plan, today, plan.lead_physician_id == user.pk) for plan in plans]


def mix_in_words(stages) -> str:
    """'PT-led, then balanced, then OT-led' from the stages' leads in order."""
    leads = []
    for stage in stages:
        lead = stage.mix.lead
        if not leads or leads[-1] != lead:
            leads.append(lead)
    if not leads:
        return "no stages"
    if len(leads) == 1:
        return f"{leads[0]} throughout"
    # 'Balanced' reads lower-case mid-sentence; 'PT-led' and 'OT-led' keep their capitals.
    words = [leads[0]] + [lead.lower() if lead == "Balanced" else lead for lead in leads[1:]]
    return ", then ".join(words)


@dataclass
class ProtocolRow:
    protocol: Protocol
    stages: list

    @property
    def in_words(self) -> str:
        return mix_in_words(self.stages)

    @property
    def numbers(self) -> str:
        return " → ".join(
            f"{stage.pt_sessions_per_week}/{stage.ot_sessions_per_week}" for stage in self.stages
        )


def published_protocols() -> list[ProtocolRow]:
    protocols = (
        Protocol.objects.filter(status=Protocol.Status.PUBLISHED)
        .select_related("condition")
        .prefetch_related("stages")
    )
    return [ProtocolRow(protocol, list(protocol.stages.all())) for protocol in protocols]


def my_plans_on_hold(user):
    """The plans this physician leads that are on hold, longest held first, with the
    day each hold began (`held_since`), so none is forgotten."""
    hold_began = PlanStatusChange.objects.filter(
        plan=OuterRef("pk"), to_status=RehabPlan.Status.ON_HOLD
    ).order_by("-effective_date", "-pk")
    return (
        RehabPlan.objects.filter(lead_physician=user, status=RehabPlan.Status.ON_HOLD)
        .select_related("patient")
        .annotate(held_since=Subquery(hold_began.values("effective_date")[:1]))
        .order_by(F("held_since").asc(nulls_first=True), "pk")
    )


def physician_home(request):
    """The physician's own plans: those that need them first, then all they lead a
    page at a time, and the protocol library. The clinic's plans that need a
    physician are on the attention page, the clinic's weekly demand on the clinic week."""
    user = request.user
    today = timezone.localdate()
    mine = active_plans_with_attention(user, today).filter(lead_physician=user)
    need_attention = page_counted_by_window(selectors.needing_attention(mine), 1, ATTENTION_ON_HOME)
    my_plans = page_counted_by_window(mine, request.GET.get("page"), MY_PLANS_PER_PAGE)
    held = page_counted_by_window(my_plans_on_hold(user), 1, MY_PLANS_PER_PAGE)
    return render(
        request,
        "home/physician.html",
        {
            "today": today,
            "my_plans": my_plans,
            "my_rows": physician_rows(my_plans, user, today),
            "need_attention": physician_rows(need_attention, user, today),
            "need_attention_count": need_attention.paginator.count,
            "on_hold": held,
            "shown_on_home": ATTENTION_ON_HOME,
            "protocols": published_protocols(),
        },
    )


@require_GET
def plans_needing_attention(request):
    """Every active plan that needs a physician, a page at a time (the home shows the first)."""
    user = request.user
    access.require(access.is_physician(user))
    today = timezone.localdate()
    page = page_counted_by_window(
        selectors.needing_attention(active_plans_with_attention(user, today)),
        request.GET.get("page"),
        ATTENTION_PER_PAGE,
    )
    return render(
        request,
        "plans/attention.html",
        {"today": today, "page": page, "rows": physician_rows(page, user, today)},
    )
