"""Home pages: a therapist's worklist and a physician's overview.

Both pages list many plans, so every figure per row comes from one annotated
query or from prefetched stages: the number of queries does not grow with the
number of patients.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import render
from django.utils import timezone

from plans import selectors
from plans.models import (
    PlanStage,
    Protocol,
    RehabPlan,
    SessionAllocation,
    TherapySession,
)
from rehab.models import Discipline

ATTENDED = TherapySession.Attendance.ATTENDED


def weeks_in_stage(stage: PlanStage | None, today: datetime.date) -> int | None:
    """Which week of the stage today falls in: the first seven days are week 1."""
    if stage is None or stage.started_on is None:
        return None
    return (today - stage.started_on).days // 7 + 1


# --- Therapist: my worklist ------------------------------------------------


@dataclass
class WorklistRow:
    plan: RehabPlan
    stage: PlanStage
    allocated: int  # sessions a week of my discipline in the current stage
    attended: int  # attended this week by anyone in my discipline
    logged_today: int  # any session of my discipline dated today, attended or missed
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
    mine = Q(sessions__discipline=discipline)
    plans = selectors.plan_with_stages(
        RehabPlan.objects.filter(Exists(my_current_allocation), status=RehabPlan.Status.ACTIVE)
    ).annotate(
        week_attended=Count(
            "sessions",
            filter=mine & Q(sessions__attendance=ATTENDED, sessions__date__range=(monday, sunday)),
        ),
        today_logged=Count("sessions", filter=mine & Q(sessions__date=today)),
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


@dataclass
class PhysicianRow:
    plan: RehabPlan
    stage: PlanStage | None
    week: int | None
    flags: selectors.AttentionFlags
    is_mine: bool

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.flags.overdue:
            reasons.append(f"overdue: week {self.week} of a typical {self.stage.typical_weeks}")
        if self.flags.low_adherence:
            reasons.append(
                f"delivered {self.flags.recent_delivered} of {self.flags.recent_allocated} "
                "sessions in two weeks"
            )
        return reasons


def physician_rows(user, today: datetime.date) -> list[PhysicianRow]:
    """Every active plan with why it may need a physician; one annotated query
    plus the stage prefetches."""
    plans = selectors.with_recent_delivery(
        selectors.plan_with_stages(RehabPlan.objects.filter(status=RehabPlan.Status.ACTIVE)),
        today,
    )
    rows = []
    for plan in plans:
        stage = plan.current_stage
        rows.append(
            PhysicianRow(
                plan=plan,
                stage=stage,
                week=weeks_in_stage(stage, today),
                flags=selectors.attention_flags(plan, today),
                is_mine=plan.lead_physician_id == user.pk,
            )
        )
    rows.sort(key=lambda row: (row.plan.patient.full_name, row.plan.pk))
    return rows


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


def physician_home(request):
    user = request.user
    today = timezone.localdate()
    rows = physician_rows(user, today)
    # Mine first; within each group by patient name (rows are already so sorted).
    need_attention = sorted(
        (row for row in rows if row.flags.needs_attention), key=lambda row: not row.is_mine
    )
    demand = [
        {"figures": figures, "hours": round(figures.minutes / 60, 1)}
        for figures in selectors.clinic_demand(today).values()
    ]
    return render(
        request,
        "home/physician.html",
        {
            "today": today,
            "my_rows": [row for row in rows if row.is_mine],
            "need_attention": need_attention,
            "demand": demand,
            "protocols": published_protocols(),
        },
    )
