"""The timetable follows its plan: listeners to the signals plans sends after commit."""

from django.dispatch import receiver

from plans import signals
from plans.models import RehabPlan
from rehab.models import Discipline
from scheduling import services


@receiver(signals.plan_mix_changed, dispatch_uid="scheduling_review_on_mix_change")
def review_after_mix_change(sender, plan, stage, by=None, **kwargs):
    """A new stage or an individualised mix: the future appointments wait for a review."""
    stage.refresh_from_db()
    if not stage.is_current:
        # An upcoming stage's mix changed: today's timetable still holds.
        return
    services.request_review(
        plan=plan,
        reason=(
            f"Stage {stage.order} ({stage.name}) now has PT {stage.pt_sessions_per_week} "
            f"and OT {stage.ot_sessions_per_week} a week."
        ),
    )


@receiver(signals.plan_status_changed, dispatch_uid="scheduling_review_on_status_change")
def review_after_status_change(sender, plan, by=None, **kwargs):
    plan = RehabPlan.objects.get(pk=plan.pk)
    if plan.status != RehabPlan.Status.ACTIVE:
        services.request_review(
            plan=plan,
            reason=f"The plan is {plan.get_status_display().lower()}: "
            "its future appointments are no longer needed.",
        )
    else:
        services.review_after_resume(plan=plan, by=by)


@receiver(signals.plan_therapist_changed, dispatch_uid="scheduling_review_on_new_therapist")
def review_after_new_therapist(sender, plan, discipline, therapist, by=None, **kwargs):
    """Appointments booked with the previous therapist wait for a review."""
    label = Discipline(discipline).label
    now_with = f"is now with {therapist.display_name}" if therapist else "has no therapist now"
    services.request_review(
        plan=plan,
        reason=f"{label} {now_with}: appointments booked with the previous therapist need moving.",
    )


@receiver(signals.session_logged, dispatch_uid="scheduling_link_logged_session")
def link_logged_session(sender, session, **kwargs):
    """A session logged from the worklist settles the appointment it was booked as."""
    services.settle_appointment_of(session)


@receiver(signals.session_corrected, dispatch_uid="scheduling_follow_corrected_session")
def follow_corrected_session(sender, session, attendance_before, date_before, **kwargs):
    """A session corrected (attended after all, or another day) corrects its appointment."""
    services.follow_corrected_session(
        session, attendance_before=attendance_before, date_before=date_before
    )


@receiver(signals.demo_clinic_seeded, dispatch_uid="scheduling_demo_timetable")
def demo_timetable(sender, users, **kwargs):
    from scheduling.demo import seed_demo_timetable

    return seed_demo_timetable(users)
