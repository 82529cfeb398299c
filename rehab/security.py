"""Sign-in protection: the lockout after repeated wrong passwords (django-axes)."""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render

LOCKED_OUT_STATUS = 429


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a sign-in from a locked-out username and address before the password is read.

    A sign-in without a web request (`Client.login` in a test, a shell) has no
    address to lock and no sign-in page to protect, so it passes to the next backend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def cooloff_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def locked_out(request, original_response=None, credentials=None):
    """The sign-in page again, saying why the sign-in is refused and for how long."""
    form = AuthenticationForm(request, initial={"username": (credentials or {}).get("username")})
    return render(
        request,
        "registration/login.html",
        {
            "form": form,
            "locked_out": True,
            "cooloff_minutes": cooloff_minutes(),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
        },
        status=LOCKED_OUT_STATUS,
    )
