"""A therapist's private calendar feed: it parses, and refuses a wrong or revoked address."""

import datetime

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling import services
from tests.test_scheduling_services import at, next_monday

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(plan, physiotherapist, occupational_therapist, front_desk):
    monday = next_monday()
    return services.book_appointments(
        plan=plan,
        slots=[
            services.Slot("PT", physiotherapist.pk, at(monday, 9), 45),
            services.Slot(
                "PT", physiotherapist.pk, at(monday + datetime.timedelta(days=2), 10), 45
            ),
            services.Slot("OT", occupational_therapist.pk, at(monday, 11), 60),
        ],
        by=front_desk,
    )


def feed_url(secret: str) -> str:
    return reverse("scheduling:feed", args=[secret])


def test_the_feed_parses_and_holds_only_the_therapists_appointments(
    client, booked, physiotherapist, plan
):
    _token, secret = services.create_feed_token(therapist=physiotherapist, by=physiotherapist)
    response = client.get(feed_url(secret))  # no sign-in: the phone has none
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 2
    first = min(events, key=lambda event: event.decoded("DTSTART"))
    assert first.decoded("DTSTART") == at(next_monday(), 9)
    assert first.decoded("DTEND") - first.decoded("DTSTART") == datetime.timedelta(minutes=45)
    assert str(first["SUMMARY"]).startswith("PT — ")
    assert plan.patient.record_number in str(first["DESCRIPTION"])
    assert str(first["UID"]) == f"appointment-{booked[0].pk}@testserver"


def test_a_cancelled_appointment_shows_as_cancelled(client, booked, physiotherapist, front_desk):
    services.mark_missed(appointment=booked[1], status="cancelled_by_clinic", by=front_desk)
    _token, secret = services.create_feed_token(therapist=physiotherapist, by=physiotherapist)
    calendar = icalendar.Calendar.from_ical(client.get(feed_url(secret)).content)
    statuses = sorted(str(event["STATUS"]) for event in calendar.walk("VEVENT"))
    assert statuses == ["CANCELLED", "CONFIRMED"]


def test_a_wrong_address_is_not_found(client, booked, physiotherapist):
    services.create_feed_token(therapist=physiotherapist, by=physiotherapist)
    response = client.get(feed_url("not-the-secret"))
    assert response.status_code == 404
    assert b"BEGIN:VCALENDAR" not in response.content


def test_a_revoked_address_stops_working(client, booked, physiotherapist):
    _token, secret = services.create_feed_token(therapist=physiotherapist, by=physiotherapist)
    assert client.get(feed_url(secret)).status_code == 200
    services.revoke_feed_token(therapist=physiotherapist, by=physiotherapist)
    assert client.get(feed_url(secret)).status_code == 404


def test_the_feed_refuses_other_methods(client, physiotherapist):
    _token, secret = services.create_feed_token(therapist=physiotherapist, by=physiotherapist)
    assert client.post(feed_url(secret)).status_code == 405


def test_a_therapist_makes_and_revokes_their_address_on_a_page(client, physiotherapist):
    client.force_login(physiotherapist)
    url = reverse("scheduling:calendar_address")
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "create"}, follow=True)
    content = response.content.decode()
    assert "Your calendar address is http://testserver/timetable/feed/" in content
    secret = content.split("/timetable/feed/")[1].split(".ics")[0]
    assert services.therapist_for_feed(secret) == physiotherapist
    response = client.post(url, {"action": "revoke"}, follow=True)
    assert "no longer works" in response.content.decode()
    assert services.therapist_for_feed(secret) is None


def test_only_therapists_have_an_address(client, front_desk, physician):
    for user in (front_desk, physician):
        client.force_login(user)
        assert client.get(reverse("scheduling:calendar_address")).status_code == 403
        response = client.post(reverse("scheduling:calendar_address"), {"action": "create"})
        assert response.status_code == 403
    from scheduling.models import CalendarFeedToken

    assert not CalendarFeedToken.objects.exists()


def test_the_address_page_needs_sign_in(client):
    response = client.get(reverse("scheduling:calendar_address"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_feed_covers_recent_and_coming_weeks_only(client, plan, physiotherapist, front_desk):
    far = timezone.localdate() + datetime.timedelta(days=120)
    far_monday = far - datetime.timedelta(days=far.weekday())
    services.book_appointments(
        plan=plan,
        slots=[services.Slot("PT", physiotherapist.pk, at(far_monday, 9), 45)],
        by=front_desk,
    )
    _token, secret = services.create_feed_token(therapist=physiotherapist, by=physiotherapist)
    calendar = icalendar.Calendar.from_ical(client.get(feed_url(secret)).content)
    assert calendar.walk("VEVENT") == []
