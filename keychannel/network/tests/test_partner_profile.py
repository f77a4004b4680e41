"""Issue 16, partner self-service: the head keeps its website and description too, never the manufacturer's fields."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_the_head_keeps_website_and_description_but_not_its_level_nor_another_company(world, api_as, login):
    head = api_as(world.users["dist_head"])
    url = f"/api/v1/distributors/{world.own.pk}/profile"
    done = head.patch(url, {"website": "https://alfa.example", "about": "Compressors since 1998."}, content_type=JSON)
    assert done.status_code == 200
    assert (done.json()["website"], done.json()["about"]) == ("https://alfa.example", "Compressors since 1998.")
    assert head.patch(url, {"website": "javascript:alert(1)"}, content_type=JSON).status_code == 422
    # The manufacturer's fields (size tier, stance, agreement) stay as they were, on the profile and on the edit API.
    tier, stance = world.own.size_tier, world.own.stance
    head.patch(url, {"size_tier": "large", "stance": "active"}, content_type=JSON)
    assert head.patch(f"/api/v1/distributors/{world.own.pk}", {"size_tier": "large"}, content_type=JSON).status_code == 403
    world.own.refresh_from_db()
    assert (world.own.size_tier, world.own.stance, world.own.website) == (tier, stance, "https://alfa.example")
    assert head.patch(f"/api/v1/distributors/{world.other.pk}/profile", {"about": "x"}, content_type=JSON).status_code == 404
    page = login(world.users["dist_head"])
    response = page.post(reverse("network:distributor_profile", args=[world.own.pk]),
                         {"city": "Cluj-Napoca", "address": "Str. Fabricii 1", "phone": "", "email": "",
                          "website": "alfa.example", "about": "Service in 24 hours.", "employees": "43"})
    assert response.status_code == 302
    world.own.refresh_from_db()
    assert (world.own.website, world.own.about) == ("https://alfa.example", "Service in 24 hours.")
    shown = page.get(reverse("network:distributor_detail", args=[world.own.pk])).content
    assert b"Service in 24 hours." in shown
