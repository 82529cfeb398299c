"""Sign-in protection: the lockout after repeated wrong passwords (django-axes), and
sessions that end when idle."""

import time

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


# --- Sessions that end when idle ------------------------------------------------------

# A signed-in visit restarts the two idle hours, but writes the session (three
# queries) at most once a minute: a session ends between 119 and 120 minutes
# after the last visit instead of on the second.
SESSION_REFRESH_SECONDS = 60
REFRESHED_KEY = "_idle_clock"


def start_idle_clock(sender, request, user, **kwargs):
    """Signing in saves the session anyway: the idle clock starts then (connected
    to user_logged_in in RehabConfig.ready)."""
    if request is not None and hasattr(request, "session"):
        request.session[REFRESHED_KEY] = int(time.time())


class IdleSessionMiddleware:
    """Saves a signed-in session again, restarting its expiry, once its last save
    is over a minute old (in place of SESSION_SAVE_EVERY_REQUEST)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            if now - request.session.get(REFRESHED_KEY, 0) >= SESSION_REFRESH_SECONDS:
                request.session[REFRESHED_KEY] = now
        return self.get_response(request)
