"""Views ask the policy, never the role (issue 21.2).

A page or API operation decides who may use it with ``require(principal, "app.thing.action")`` or ``can(...)``:
rules registered in the app's policies.py, so the page and its API operation share one answer, the service asks
the same rule again, and a change of "who may" is made in one place. A raw role test in a view
(``principal.is_manufacturer``, ``has_role("dist_sales")``, ``role == …``) is the copy this test refuses.

The scan reads every module that holds a page view or an API operation (found through the URL walk and the
API's routers, as the rules catalogue does), so a new views module is covered without a line here.
"""

import re
from pathlib import Path

from tests.rules_walk import api_roots, page_roots

ROOT = Path(__file__).resolve().parents[1]

RAW_ROLE_CHECK = re.compile(
    r"\.is_manufacturer\b|\.is_distributor_user\b|\.sees_whole_network\b|\.has_role\(|\brole\s*[!=]=|"
    r"\.role\s+(?:not\s+)?in\b"
)

# A role test that decides what is *shown*, not who may: (module path, text on the line) → reason.
ALLOWED: dict[tuple[str, str], str] = {
    ("keychannel/integrations/sso.py", "if rule.role in MANUFACTURER_ROLES:"):
        "single sign-on places a new user: a manufacturer role joins the manufacturer's organisation (no access test)",
    ("keychannel/channel/views.py", 'title = _("My registrations") if principal.is_distributor_user'):
        "the page's title: a distributor user reads its own registrations, the manufacturer a queue (no access test)",
    ("keychannel/program/views/distributors.py", 'is_head=principal.has_role("dist_head")'):
        "which wording the page uses for the head (the data is already scoped by the selector)",
    ("keychannel/program/views/programs.py", "if principal.is_manufacturer else None"):
        "the sign-off board and level holders are panels of the manufacturer's page; their selectors scope the rows",
    ("keychannel/program/views/rules.py", "if principal.is_distributor_user and principal.own_distributor_id:"):
        "which rules the caller's own distributor acknowledged: marks shown beside the rules (no access test)",
}

# Split into packages by the split helper (issue 21.4) at the same time as this test was written; their views'
# role checks become rules when the lead applies the split (wave 6). Remove an entry with its last hit.
KNOWN_EXCEPTIONS: dict[str, str] = {}


def view_modules() -> set[str]:
    names = set(page_roots().values()) | set(api_roots().values())
    modules = {name.rsplit(".", 2)[0] if name.count(".") > 2 and name.rsplit(".", 2)[1][:1].isupper() else
               name.rsplit(".", 1)[0] for name in names}
    return {m for m in modules if m.startswith("keychannel.")}


def module_path(module: str) -> str:
    base = ROOT / Path(*module.split("."))
    path = base.with_suffix(".py") if base.with_suffix(".py").exists() else base / "__init__.py"
    return path.relative_to(ROOT).as_posix()


def raw_role_checks(path: str, source: str) -> list[str]:
    hits = []
    for number, line in enumerate(source.splitlines(), 1):
        code = line.split("#", 1)[0]
        if RAW_ROLE_CHECK.search(code) and not any(p == path and text in line for (p, text) in ALLOWED):
            hits.append(f"{path}:{number}: {line.strip()}")
    return hits


def test_no_view_checks_a_role_itself():
    hits, exempt = [], []
    for module in sorted(view_modules()):
        path = module_path(module)
        found = raw_role_checks(path, (ROOT / path).read_text())
        (exempt if path.startswith(tuple(KNOWN_EXCEPTIONS)) else hits).extend(found)
    assert not hits, ("ask the policy (require/can with a rule in the app's policies.py), not the role:\n"
                      + "\n".join(hits))
    assert exempt or not KNOWN_EXCEPTIONS, "no hit left in the known exceptions: remove them"


def test_the_scan_covers_every_views_module():
    modules = {module_path(m) for m in view_modules()}
    for expected in ("keychannel/network/views.py", "keychannel/network/request_views.py", "keychannel/network/api.py",
                     "keychannel/competence/views.py", "keychannel/core/people_views.py", "keychannel/sales/fix_api.py"):
        assert expected in modules


def test_a_raw_role_check_is_found():
    source = (
        "def page(request):\n"
        "    if not request.principal.is_manufacturer:\n"
        "        raise PermissionDenied\n"
        "    if principal.has_role('admin'): pass\n"
        "    if principal.role == 'dist_head': pass\n"
        "    if request.principal.role not in SOMEONE: pass\n"
        "    require(principal, 'network.playbook.view')  # principal.is_manufacturer in a comment is fine\n"
    )
    assert [h.split(":")[1] for h in raw_role_checks("keychannel/x/views.py", source)] == ["2", "4", "5", "6"]
