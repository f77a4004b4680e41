"""Issue 16, part 2: the program office keeps the learning catalogue in the product (pages and API, one service)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from keychannel.program.models import Course, CourseModule, LearningResource

pytestmark = pytest.mark.django_db
JSON = "application/json"
PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_course_with_modules_is_made_and_published_and_distributors_see_it_then(world, api_as, login):
    office = api_as(world.users["program_manager"])
    response = office.post("/api/v1/courses", {"title": "Key-account selling", "certificate_title": "KAM I"},
                           content_type=JSON)
    assert response.status_code == 201 and response.json()["code"] == "key-account-selling"
    course_id = response.json()["id"]
    first = office.post(f"/api/v1/courses/{course_id}/modules", {"title": "Mapping the buying centre"},
                        content_type=JSON).json()
    second = office.post(f"/api/v1/courses/{course_id}/modules", {"title": "Account plans"}, content_type=JSON).json()
    assert (first["position"], second["position"]) == (1, 2)
    assert office.post(f"/api/v1/courses/{course_id}/modules", {"title": "Clash", "position": 2},
                       content_type=JSON).status_code == 422
    assert office.patch(f"/api/v1/course-modules/{second['id']}", {"position": 1},
                        content_type=JSON).status_code == 422  # taken by the first
    assert office.patch(f"/api/v1/course-modules/{second['id']}", {"position": 3},
                        content_type=JSON).json()["position"] == 3

    sales = api_as(world.users["dist_sales"])
    assert course_id not in [c["id"] for c in sales.get("/api/v1/courses?limit=100").json()["items"]]
    assert sales.get(f"/api/v1/courses/{course_id}/modules").status_code == 404
    assert office.patch(f"/api/v1/courses/{course_id}", {"published": True}, content_type=JSON).status_code == 200
    assert [m["title"] for m in sales.get(f"/api/v1/courses/{course_id}/modules").json()] == [
        "Mapping the buying centre", "Account plans"]
    page = login(world.users["dist_sales"]).get(reverse("program:course_detail", args=[course_id]))
    assert b"Account plans" in page.content and b"course-edit" not in page.content
    assert Course.objects.get(pk=course_id).history.count() == 2
    assert sales.post("/api/v1/courses", {"title": "Mine"}, content_type=JSON).status_code == 403
    assert sales.patch(f"/api/v1/courses/{course_id}", {"published": False}, content_type=JSON).status_code == 403


def test_course_pages_use_the_same_service(world, login):
    page = login(world.users["admin"])
    response = page.post(reverse("program:course_create"), {"title": "Service partners 101", "published": "on"})
    assert response.status_code == 302
    course = Course.objects.get(code="service-partners-101")
    response = page.post(reverse("program:module_create", args=[course.pk]), {"title": "Warranty", "content": "…"})
    assert response.status_code == 302 and course.modules.get().position == 1
    response = page.post(reverse("program:course_create"), {"title": "Other", "code": "service-partners-101"})
    assert response.status_code == 422 and Course.objects.filter(title="Other").count() == 0
    module = CourseModule.objects.get(course=course)
    response = page.post(reverse("program:module_update", args=[module.pk]), {"title": "Warranty claims",
                                                                                "position": "0"})
    assert response.status_code == 422 and CourseModule.objects.get(pk=module.pk).title == "Warranty"
    listing = page.get(reverse("program:course_list")).content.decode()
    assert "Service partners 101" in listing and 'id="course-create"' in listing
    assert login(world.users["executive"]).post(reverse("program:course_create"), {"title": "X"}).status_code == 403


def test_learning_resources_links_and_checked_files(world, api_as, login):
    office = api_as(world.users["admin"])
    response = office.post("/api/v1/learning-resources", {"title": "Pricing guide", "kind": "link",
                                                          "url": "https://example.com/pricing", "published": "true"})
    assert response.status_code == 201, response.content
    assert office.post("/api/v1/learning-resources", {"title": "No address", "kind": "link"}).status_code == 422
    assert office.post("/api/v1/learning-resources", {"title": "No file", "kind": "file"}).status_code == 422
    fake = SimpleUploadedFile("guide.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    assert office.post("/api/v1/learning-resources", {"title": "Bad", "kind": "file", "file": fake}).status_code == 422
    good = SimpleUploadedFile("guide.pdf", PDF, content_type="application/pdf")
    response = office.post("/api/v1/learning-resources", {"title": "Guide", "kind": "file", "file": good})
    assert response.status_code == 201 and response.json()["has_file"] is True
    resource = LearningResource.objects.get(pk=response.json()["id"])
    assert resource.file_content_type == "application/pdf" and not resource.published
    assert LearningResource.objects.filter(title__in=["Bad", "No file", "No address"]).count() == 0

    head = api_as(world.users["dist_head"])
    titles = {r["title"] for r in head.get("/api/v1/learning-resources?limit=100").json()["items"]}
    assert "Pricing guide" in titles and "Guide" not in titles
    assert office.patch(f"/api/v1/learning-resources/{resource.pk}", {"published": True},
                        content_type=JSON).status_code == 200
    assert "Guide" in {r["title"] for r in head.get("/api/v1/learning-resources?limit=100").json()["items"]}
    assert head.post("/api/v1/learning-resources", {"title": "Mine", "kind": "link",
                                                    "url": "https://example.com"}).status_code == 403
    replaced = SimpleUploadedFile("v2.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, content_type="image/png")
    response = office.post(f"/api/v1/learning-resources/{resource.pk}/file", {"file": replaced})
    assert response.status_code == 200 and response.json()["file_content_type"] == "image/png"
    assert head.post(f"/api/v1/learning-resources/{resource.pk}/file", {"file": replaced}).status_code == 403

    page = login(world.users["program_manager"])
    response = page.post(reverse("program:resource_update", args=[resource.pk]),
                         {"title": "Guide (2026)", "kind": "file", "description": "", "url": "", "published": "on"})
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.title == "Guide (2026)" and resource.file  # the file stays when none is sent
    assert page.get(reverse("core:history", args=["program", "learningresource", resource.pk])).status_code == 200
