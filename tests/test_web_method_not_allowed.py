"""An address that only takes a form's button, opened or reloaded."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_opening_a_buttons_address_explains_and_changes_nothing(client, physician, plan):
    client.force_login(physician)
    url = reverse("plans:plan_advance", args=[plan.pk])
    response = client.get(url)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    page = response.content.decode()
    assert "This address is reached with a button" in page and "Nothing was changed." in page
    assert "Sign out" in page  # the site's own page, with its menu
    plan.refresh_from_db()
    assert plan.current_stage.order == 1


@pytest.mark.django_db
def test_the_api_keeps_its_own_answer_to_a_wrong_method(client, physician):
    client.force_login(physician)
    response = client.delete(reverse("api:patient-list"))
    assert response.status_code == 405
    assert response.json()["errors"][0]["code"] == "method_not_allowed"
