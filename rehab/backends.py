"""The sign-in backend: Django's own, reading a signed-in user's roles with them."""

from django.contrib.auth.backends import ModelBackend

from rehab.models import signed_in_user


class StaffBackend(ModelBackend):
    """Passwords as Django's ModelBackend checks them. The user of each request is
    read with their groups (the clinic roles) in one query, where ModelBackend's
    user then asked a second one when the page checked a role."""

    def get_user(self, user_id):
        user = signed_in_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
