"""``core.admin.ReadOnlyAdmin``: the admins of records that are read, never added or changed, in the Django admin.

What each of them allows is pinned here (the roll-ups, levels and sign-offs are not deleted either; logs,
invitations and webhooks may be), the pages still open for reading, and a structural test fails when an app writes
the mixin again by hand (``has_add_permission`` and ``has_change_permission`` answering ``False``).
"""

import ast
from pathlib import Path

import pytest
from django.contrib.admin import site
from django.urls import reverse

from keychannel.core.admin import ReadOnlyAdmin

ROOT = Path(__file__).resolve().parents[3]  # the repository

# "app_label.Model": whether the admin may delete its records (a superuser).
READ_ONLY = {
    "sales.SalesRollup": False,
    "deals.PipelineRollup": False,
    "deals.PipelineStageTotal": False,
    "deals.PipelineMonthTotal": False,
    "deals.ProductTestSignoff": False,
    "program.DistributorLevel": False,
    "program.LevelChange": False,
    "core.SecurityEvent": True,
    "core.Invitation": True,
    "integrations.WebhookSubscription": True,
    "integrations.WebhookDelivery": True,
}


def _read_only_admins():
    return {model._meta.label: model_admin for model, model_admin in site._registry.items()
            if isinstance(model_admin, ReadOnlyAdmin)}


@pytest.mark.django_db
def test_read_only_admins_add_and_change_nothing_and_delete_only_where_declared(world):
    admins = _read_only_admins()
    assert set(admins) == set(READ_ONLY)
    request = type("R", (), {"user": world.user("admin")})()
    assert request.user.is_superuser
    for label, model_admin in admins.items():
        assert not model_admin.has_add_permission(request), label
        assert not model_admin.has_change_permission(request), label
        assert model_admin.has_delete_permission(request) is READ_ONLY[label], label
        assert model_admin.has_view_permission(request), label


@pytest.mark.django_db
def test_read_only_admin_pages_open_for_reading_without_add_or_save(world, login):
    client = login(world.user("admin"))
    for label in READ_ONLY:
        app_label, model = label.lower().split(".")
        page = client.get(reverse(f"admin:{app_label}_{model}_changelist"))
        assert page.status_code == 200, label
        assert reverse(f"admin:{app_label}_{model}_add").encode() not in page.content, label
        assert client.get(reverse(f"admin:{app_label}_{model}_add")).status_code == 403, label


def _returns_false(function: ast.FunctionDef) -> bool:
    body = [s for s in function.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    return (len(body) == 1 and isinstance(body[0], ast.Return) and isinstance(body[0].value, ast.Constant)
            and body[0].value.value is False)


def hand_written_read_only_admins(sources) -> list[str]:
    """Classes (not inlines) of admin modules that answer ``False`` to both adding and changing themselves."""
    found = []
    for name, source in sources:
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.ClassDef) or any("Inline" in ast.unparse(base) for base in node.bases):
                continue
            methods = {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}
            if all(m in methods and _returns_false(methods[m]) for m in ("has_add_permission", "has_change_permission")):
                found.append(f"{name}:{node.name}")
    return found


def test_no_admin_writes_the_read_only_mixin_again():
    sources = [(str(path.relative_to(ROOT)), path.read_text()) for path in sorted(ROOT.glob("keychannel/*/admin.py"))]
    assert hand_written_read_only_admins(sources) == ["keychannel/core/admin.py:ReadOnlyAdmin"]  # the mixin itself
    # the guard: a hand-written copy, such as the admins had before the mixin, is found
    copy = '''
class LevelAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
'''
    assert hand_written_read_only_admins([("program/admin.py", copy)]) == ["program/admin.py:LevelAdmin"]
