"""The sign-in backend: Django's own, reading a signed-in user's roles with them."""

from django.contrib.auth.backends import ModelBackend

from rehab.models import User, with_roles


class StaffBackend(ModelBackend):
    """Passwords as Django's ModelBackend checks them. The user of each request is
    read with their clinic roles in one query, where ModelBackend's user then
    asked a second one for their groups."""

    def get_user(self, user_id):
        user = with_roles(User._default_manager.filter(pk=user_id)).first()
        return user if user is not None and self.user_can_authenticate(user) else None
