"""API parity (issue 16): every page that writes has an API operation calling the same service, or says why not.

The mapping is in tests/api_parity.py; docs/api.md ("API parity") says how to add a page that writes.
"""

import pytest
from django.urls import path
from django.views.decorators.http import require_POST

from tests import rules_walk
from tests.access import api_operation_keys
from tests.api_parity import PARITY, UI_ONLY, shared_services, unmapped, write_pages


def test_every_page_that_writes_has_its_api_operation_or_a_reason():
    missing = sorted(unmapped())
    assert not missing, (
        "Pages that accept POST without an API operation: add the operation (same service) and map it in "
        f"tests/api_parity.py PARITY, or declare the page in UI_ONLY with the reason: {missing}")


def test_the_ui_only_list_is_short_and_every_entry_says_why():
    assert len(UI_ONLY) <= 12
    for name, reason in UI_ONLY.items():
        assert len(reason) > 30, f"{name}: say why it has no API operation"
    assert not set(UI_ONLY) & set(PARITY)


def test_no_stale_entries():
    writes, operations = write_pages(), api_operation_keys()
    assert sorted(set(PARITY) - writes) == [], "mapped pages that do not exist or no longer write"
    assert sorted(set(UI_ONLY) - writes) == [], "UI-only pages that do not exist or no longer write"
    unknown = sorted({op for ops in PARITY.values() for op in ops} - operations)
    assert unknown == [], f"mapped API operations that do not exist: {unknown}"


@pytest.mark.parametrize("page", sorted(PARITY))
def test_the_page_and_its_operations_call_the_same_service(page):
    for operation in PARITY[page]:
        assert shared_services(page, operation), (
            f"{page} and {operation} reach no service function in common: they must call the same service")


def test_the_write_routes_are_found():
    """The detection itself: form pages (GET + POST), POST-only actions, class-based views and a view that reads
    request.POST without a decorator are found; read-only pages are not."""
    writes = write_pages()
    for name in ("network:distributor_create", "program:program_close", "login", "core:notification_list",
                 "channel:lead_assign", "sales:survey_answer_record", "core:organization_login_settings"):
        assert name in writes, name
    for name in ("core:home", "deals:forecast_export", "program:calendar_feed", "network:distributor_detail"):
        assert name not in writes, name
    assert len(writes) >= 150


def _new_post_view(request):
    return None


def test_a_new_post_view_without_a_mapping_is_reported():
    """The guard: a POST view nobody mapped fails the parity check."""
    import keychannel.urls

    module = type(keychannel.urls)("extra_urls")
    module.urlpatterns = [*keychannel.urls.urlpatterns,
                          path("parity-probe/", require_POST(_new_post_view), name="parity_probe")]
    assert unmapped(urlconf=module) == {"parity_probe"}
    assert "parity_probe" not in unmapped()


def test_a_mapping_to_an_operation_with_another_service_is_reported():
    """The guard: mapping a page to an operation that calls a different service is caught."""
    assert shared_services("program:program_close", "POST /api/v1/programs/{program_id}/close")
    assert not shared_services("program:program_close", "POST /api/v1/programs/{program_id}/launch")
    assert "keychannel.program.services.programs.program_close" in rules_walk.reaches(
        [rules_walk.api_roots()["POST /api/v1/programs/{program_id}/close"]])
