"""Who may do what with patients, protocols, plans and sessions.

One place for the permission matrix: pages, admin actions and any later API call
these helpers. Each `require_*` raises PermissionDenied (a 403 page); each
`can_*` answers for templates deciding which buttons to show.
"""

from django.core.exceptions import PermissionDenied

from plans.models import RehabPlan, SessionAllocation, TherapySession
from rehab.models import Role


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def is_physician(user) -> bool:
    return user.has_role(Role.PHYSICIAN)


def can_manage_patients(user) -> bool:
    """Register and edit patients: front desk and physicians."""
    return user.has_role(Role.FRONT_DESK, Role.PHYSICIAN)


def can_author_protocols(user) -> bool:
    return is_physician(user)


def can_view_protocols(user) -> bool:
    return user.has_role(Role.PHYSICIAN, Role.PHYSIOTHERAPIST, Role.OCCUPATIONAL_THERAPIST)


def is_allocated(user, plan: RehabPlan) -> bool:
    """Allocated to any stage of this plan, in their own discipline."""
    if user.discipline is None:
        return False
    return SessionAllocation.objects.filter(
        plan_stage__plan=plan, therapist=user, discipline=user.discipline
    ).exists()


def can_view_patient(user, patient) -> bool:
    """Front desk and physicians see every patient; a therapist only those on their plans."""
    if user.has_role(Role.FRONT_DESK, Role.PHYSICIAN):
        return True
    if user.discipline is None:
        return False
    return SessionAllocation.objects.filter(
        plan_stage__plan__patient=patient, therapist=user
    ).exists()


def can_view_clinical_notes(user, patient) -> bool:
    """Session notes and plan details: physicians and the patient's therapists, not front desk."""
    return is_physician(user) or (user.discipline is not None and can_view_patient(user, patient))


def can_view_plan(user, plan: RehabPlan) -> bool:
    return is_physician(user) or is_allocated(user, plan)


def can_change_plan(user, plan: RehabPlan) -> bool:
    """Any rehab physician may act on a plan: colleagues cover each other's patients."""
    return is_physician(user)


def can_log_session(user, plan: RehabPlan) -> bool:
    return plan.is_active and is_allocated(user, plan)


def can_correct_session(user, session: TherapySession) -> bool:
    """The therapist who logged it, for 24 hours; a physician at any time."""
    from plans.services import can_correct_session as within_rules

    return within_rules(session, user)
