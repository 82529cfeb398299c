"""Who may do what with the timetable. Physicians and the front desk book for
everyone; a therapist sees their own week and marks their own appointments."""

from plans import access as plan_access
from rehab.models import Role

require = plan_access.require


def can_book(user) -> bool:
    """Propose, confirm, review and move any appointment: physicians and front desk."""
    return user.has_role(Role.PHYSICIAN, Role.FRONT_DESK)


def require_book(user) -> None:
    require(can_book(user))


def can_keep_calendar(user) -> bool:
    """Clinic holidays, therapists' leave and working hours: those who book."""
    return can_book(user)


def can_view_clinic(user) -> bool:
    return can_book(user)


def can_view_therapist_week(user, therapist) -> bool:
    return user.pk == therapist.pk or can_book(user)


def can_view_patient_week(user, patient) -> bool:
    return plan_access.can_view_patient(user, patient)


def can_view_plan_timetable(user, plan) -> bool:
    return can_book(user) or plan_access.can_view_plan(user, plan)


def can_move(user, appointment) -> bool:
    return can_book(user) or appointment.therapist_id == user.pk


def can_mark_attended(user, appointment) -> bool:
    """Logging the session holds clinical notes: its therapist or a physician."""
    return appointment.therapist_id == user.pk or plan_access.is_physician(user)


def can_mark_missed(user, appointment) -> bool:
    """A no-show or a cancellation: its therapist, a physician or the front desk."""
    return appointment.therapist_id == user.pk or can_book(user)


def can_manage_feed(user, therapist) -> bool:
    """A therapist's calendar address is theirs alone to make or revoke."""
    return user.pk == therapist.pk and user.is_therapist
