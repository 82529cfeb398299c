"""Signing in and out, and where each role lands."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


@pytest.mark.django_db
def test_sign_in_page_is_styled_with_the_site(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Sign in to Rehab plans" in page
    assert "vendor/bootstrap/bootstrap.min.css" in page
    # Every stylesheet and script is served by the clinic's own server, never a CDN
    # (the page's random CSRF token may spell "cdn" by chance, so look at addresses).
    addresses = re.findall(r'(?:href|src)="([^"]+)"', page)
    assert addresses and all(address.startswith(("/", "#")) for address in addresses), addresses


@pytest.mark.django_db
def test_every_page_names_the_clinic_icon_so_browsers_do_not_ask_for_favicon_ico(client):
    page = client.get(reverse("login")).content.decode()
    icon = re.search(r'<link rel="icon" href="/static/([^"]+)"', page)
    assert icon, "base.html names no icon: browsers then ask for /favicon.ico (a 404)"
    assert finders.find(icon.group(1)), f"{icon.group(1)} is not a static file"


@pytest.mark.django_db
def test_wrong_password_is_refused_with_a_message(client, physician):
    response = client.post(reverse("login"), {"username": "dr.rao", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_front_desk_lands_on_the_patient_list(client, front_desk):
    client.force_login(front_desk)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:list")


@pytest.mark.django_db
def test_staff_without_a_role_gets_403(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("home")).status_code == 403


@pytest.mark.django_db
def test_home_refuses_post(client, physician):
    client.force_login(physician)
    assert client.post(reverse("home")).status_code == 405


@pytest.mark.django_db
def test_sign_out_is_a_post_and_ends_the_session(client, physician):
    client.force_login(physician)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_password_change_page_answers(client, physiotherapist):
    client.force_login(physiotherapist)
    response = client.get(reverse("password_change"))
    assert response.status_code == 200
    assert "Change your password" in response.content.decode()
    response = client.post(
        reverse("password_change"),
        {"old_password": "pw-for-tests", "new_password1": "short", "new_password2": "short"},
    )
    assert "This password is too short" in response.content.decode()
