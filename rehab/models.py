"""Clinic staff: the user model, the four roles and the two therapy disciplines."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import F
from django.utils.functional import cached_property


class Discipline(models.TextChoices):
    PT = "PT", "Physiotherapy"
    OT = "OT", "Occupational therapy"


class Role(models.TextChoices):
    """Each role is a Django group of the same name, made by a data migration."""

    PHYSICIAN = "Rehab physician", "Rehab physician"
    PHYSIOTHERAPIST = "Physiotherapist", "Physiotherapist"
    OCCUPATIONAL_THERAPIST = "Occupational therapist", "Occupational therapist"
    FRONT_DESK = "Front desk", "Front desk"


# A therapist's discipline follows from their group.
DISCIPLINE_OF_ROLE = {
    Role.PHYSIOTHERAPIST: Discipline.PT,
    Role.OCCUPATIONAL_THERAPIST: Discipline.OT,
}
ROLE_OF_DISCIPLINE = {discipline: role for role, discipline in DISCIPLINE_OF_ROLE.items()}


class User(AbstractUser):
    """A member of clinic staff. Roles come from groups; see `Role`."""

    title = models.CharField(max_length=40, blank=True, help_text="Shown before the name, e.g. Dr.")
    phone = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = self.get_full_name() or self.username
        return f"{self.title} {name}" if self.title else name

    @cached_property
    def role_names(self) -> frozenset[str]:
        """The user's groups (the clinic roles). Cached on the instance (role checks
        happen many times a page); `signed_in_user` fills it with the user's own
        query, and a list may prefetch the groups."""
        return frozenset(group.name for group in self.groups.all())

    def has_role(self, *roles: str) -> bool:
        return self.is_active and any(role in self.role_names for role in roles)

    @property
    def is_physician(self) -> bool:
        return self.has_role(Role.PHYSICIAN)

    @property
    def is_therapist(self) -> bool:
        return self.discipline is not None

    @property
    def is_front_desk(self) -> bool:
        return self.has_role(Role.FRONT_DESK)

    @property
    def discipline(self) -> str | None:
        """PT for a physiotherapist, OT for an occupational therapist, else None."""
        for role, discipline in DISCIPLINE_OF_ROLE.items():
            if self.has_role(role):
                return discipline
        return None

    @property
    def role_label(self) -> str:
        for role in Role:
            if role in self.role_names:
                return role.label
        return "Administrator" if self.is_superuser else "Staff"


def signed_in_user(user_id) -> User | None:
    """The user of a request with their groups' names read in the same query (a
    row per group, staff having one or two): every page checks a role, and a
    second query for the groups cost more than the join."""
    rows = list(User._default_manager.filter(pk=user_id).annotate(group_name=F("groups__name")))
    if not rows:
        return None
    user = rows[0]
    # Stored where `role_names`, a cached_property, keeps its value.
    user.__dict__["role_names"] = frozenset(row.group_name for row in rows if row.group_name)
    return user


def staff_with_role(*roles: str):
    """Active users in any of these roles, by name, for choosing a physician or a therapist."""
    return (
        User.objects.filter(is_active=True, groups__name__in=roles)
        .distinct()
        .order_by("first_name", "last_name", "pk")
    )
