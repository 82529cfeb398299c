"""Sign-in protection on shared clinic computers: lockout after repeated wrong passwords,
password rules, sessions that end when idle, and Sign out on every page."""

import datetime
import html
import re
import time

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rehab import security

LOCKED_OUT = "Too many wrong passwords (5) for this username from this computer."


def page(response) -> str:
    return html.unescape(response.content.decode())


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def fail_five_times(client, username="dr.rao"):
    for _ in range(5):
        response = sign_in(client, username, "wrong-password")
    return response


@pytest.mark.django_db
def test_fifth_wrong_password_locks_the_username_with_a_message_on_the_sign_in_page(
    client, physician
):
    for attempt in range(4):
        response = sign_in(client, "dr.rao", "wrong-password")
        assert response.status_code == 200, attempt
        assert "Please enter a correct username and password" in page(response)
    response = sign_in(client, "dr.rao", "wrong-password")
    assert response.status_code == 429
    text = page(response)
    assert LOCKED_OUT in text
    assert "Signing in is paused for 15 minutes" in text
    assert "Sign in to Rehab plans" in text  # the sign-in page itself, with its form
    assert AccessAttempt.objects.get(username="dr.rao").failures_since_start == 5


@pytest.mark.django_db
def test_right_password_during_the_lockout_does_not_sign_in(client, physician):
    fail_five_times(client)
    response = sign_in(client, "dr.rao", "pw-for-tests")
    assert response.status_code == 429
    assert LOCKED_OUT in page(response)
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_after_the_cooloff_the_right_password_signs_in_and_clears_the_failures(client, physician):
    fail_five_times(client)
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    response = sign_in(client, "dr.rao", "pw-for-tests")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(physician.pk)
    assert not AccessAttempt.objects.filter(username="dr.rao").exists()


@pytest.mark.django_db
def test_lockout_of_one_username_leaves_colleagues_signing_in(client, physician, front_desk):
    fail_five_times(client, "dr.rao")
    response = sign_in(Client(), "desk.roy", "pw-for-tests")
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_correct_sign_in_resets_the_count(client, physician):
    for _ in range(4):
        sign_in(client, "dr.rao", "wrong-password")
    assert sign_in(client, "dr.rao", "pw-for-tests").status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        response = sign_in(client, "dr.rao", "wrong-password")
    assert response.status_code == 200  # four more, not nine


def test_lockout_settings_are_five_failures_and_a_cooloff():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert datetime.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AUTHENTICATION_BACKENDS[0] == "rehab.security.LockoutBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


# --- Password rules ---------------------------------------------------------------------


def test_django_password_validators_are_on():
    names = {validator["NAME"].rsplit(".", 1)[1] for validator in settings.AUTH_PASSWORD_VALIDATORS}
    assert names == {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }


@pytest.mark.django_db
def test_a_common_password_is_refused_on_change(client, physiotherapist):
    client.force_login(physiotherapist)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pw-for-tests",
            "new_password1": "password123",
            "new_password2": "password123",
        },
    )
    assert response.status_code == 200
    assert "This password is too common." in page(response)
    physiotherapist.refresh_from_db()
    assert physiotherapist.check_password("pw-for-tests")


# --- Sessions end when idle ---------------------------------------------------------------


def stored_session(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


@pytest.mark.django_db
def test_session_lasts_two_idle_hours_and_ends_with_the_browser(client, physician):
    assert settings.SESSION_COOKIE_AGE == 2 * 60 * 60
    assert "rehab.security.IdleSessionMiddleware" in settings.MIDDLEWARE
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    response = sign_in(client, "dr.rao", "pw-for-tests")
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a browser-session cookie
    left = stored_session(client).expire_date - timezone.now()
    assert datetime.timedelta(minutes=119) < left <= datetime.timedelta(hours=2)


def last_visit(client, minutes_ago: int) -> None:
    """As if the session was last saved `minutes_ago`: it expires two hours after that."""
    session = client.session
    session[security.REFRESHED_KEY] = int(time.time()) - minutes_ago * 60
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() + datetime.timedelta(minutes=120 - minutes_ago)
    )


@pytest.mark.django_db
def test_each_page_visit_restarts_the_idle_clock(client, physician):
    client.force_login(physician)
    client.get(reverse("home"))
    last_visit(client, minutes_ago=115)
    assert client.get(reverse("home")).status_code == 200
    left = stored_session(client).expire_date - timezone.now()
    assert left > datetime.timedelta(minutes=119)


@pytest.mark.django_db
def test_the_first_page_after_signing_in_does_not_write_the_session_again(client, physician):
    assert sign_in(client, "dr.rao", "pw-for-tests").status_code == 302
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("home")).status_code == 200
    assert [q["sql"] for q in captured if q["sql"].startswith(("INSERT", "UPDATE"))] == []
    left = stored_session(client).expire_date - timezone.now()
    assert left > datetime.timedelta(minutes=119)


@pytest.mark.django_db
def test_visits_within_a_minute_do_not_write_the_session_again(client, physician):
    client.force_login(physician)
    client.get(reverse("home"))
    last_visit(client, minutes_ago=0)
    expires = stored_session(client).expire_date
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("home")).status_code == 200
    writes = [q["sql"] for q in captured if q["sql"].startswith(("INSERT", "UPDATE"))]
    assert writes == []
    assert stored_session(client).expire_date == expires


@pytest.mark.django_db
def test_an_idle_session_is_signed_out(client, physician, plan):
    client.force_login(physician)
    assert client.get(reverse("home")).status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    url = reverse("plans:plan_detail", args=[plan.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


# --- Sign out on every page -----------------------------------------------------------

SIGN_OUT_FORM = re.compile(
    r'<form method="post" action="/accounts/logout/"[^>]*>\s*'
    r'<input type="hidden" name="csrfmiddlewaretoken"[^>]*>\s*'
    r'<button type="submit"[^>]*>Sign out</button>'
)


@pytest.mark.django_db
def test_every_page_of_every_role_has_sign_out(
    client, plan, physician, physiotherapist, occupational_therapist, front_desk
):
    from plans import services

    session = services.log_session(
        plan=plan,
        therapist=physiotherapist,
        logged_by=physiotherapist,
        date=timezone.localdate(),
        duration_minutes=45,
    )
    pages = {
        physician: [
            reverse("home"),
            reverse("patients:list"),
            reverse("patients:register"),
            reverse("patients:detail", args=[plan.patient_id]),
            reverse("patients:edit", args=[plan.patient_id]),
            reverse("plans:protocol_list"),
            reverse("plans:protocol_create"),
            reverse("plans:protocol_detail", args=[plan.protocol_id]),
            reverse("plans:plan_detail", args=[plan.pk]),
            reverse("plans:plan_allocate", args=[plan.pk]),
            reverse("plans:plan_individualise", args=[plan.pk, plan.stages.first().pk]),
            reverse("plans:plan_start", args=[plan.diagnosis_id]),
            reverse("plans:family_summary", args=[plan.pk]),
            reverse("password_change"),
        ],
        physiotherapist: [
            reverse("home"),
            reverse("plans:session_log", args=[plan.pk]),
            reverse("plans:session_edit", args=[session.pk]),
        ],
        occupational_therapist: [reverse("home"), reverse("plans:plan_detail", args=[plan.pk])],
        front_desk: [reverse("patients:list"), reverse("plans:family_summary", args=[plan.pk])],
    }
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (user.username, url)
            assert SIGN_OUT_FORM.search(response.content.decode()), (user.username, url)
        response = client.post(reverse("logout"))
        assert response.status_code == 302
        assert "_auth_user_id" not in client.session
