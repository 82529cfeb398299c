"""Who may record and read outcomes: the plan's team.

Physicians (any of them, as they cover each other's patients) and the therapists
allocated to the plan; never the front desk or a therapist not on the plan.
"""

from plans import access
from plans.models import RehabPlan

require = access.require


def is_on_team(user, plan: RehabPlan) -> bool:
    """`access.can_view_plan`, read from the plan's prefetched stages and
    allocations when a page has them (the plan page does), so panels add no query."""
    cache = getattr(plan, "_prefetched_objects_cache", {})
    prefetched = "stages" in cache and all(
        "allocations" in getattr(stage, "_prefetched_objects_cache", {})
        for stage in plan.stages.all()
    )
    if not prefetched:
        return access.can_view_plan(user, plan)
    if access.is_physician(user):
        return True
    discipline = user.discipline
    return discipline is not None and any(
        allocation.therapist_id == user.pk and allocation.discipline == discipline
        for stage in plan.stages.all()
        for allocation in stage.allocations.all()
    )


def can_view_outcomes(user, plan: RehabPlan) -> bool:
    return is_on_team(user, plan)


def can_record_assessment(user, plan: RehabPlan) -> bool:
    return plan.is_active and is_on_team(user, plan)


def can_manage_goals(user, plan: RehabPlan) -> bool:
    return plan.status in (RehabPlan.Status.ACTIVE, RehabPlan.Status.ON_HOLD) and is_on_team(
        user, plan
    )
