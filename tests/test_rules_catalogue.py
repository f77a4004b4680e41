"""The rule catalogue (tests/rules_catalogue.py) against the code, the tests and docs/rules.md. No database."""

from __future__ import annotations

import ast
import functools
import importlib
import re
from pathlib import Path

import pytest

from tests import rules_walk
from tests.access import load_routes
from tests.rules_catalogue import EVERY_GET, EXEMPT_ROUTES, RULES, SERVICE, Rule

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "rules.md"


# ---- the checks (functions of the catalogue, so that the guard tests can feed them a fake one) ---------------------

def _split(node_id: str) -> tuple[str, str]:
    path, _, name = node_id.partition("::")
    return path, name.split("[", 1)[0]


@functools.cache
def _test_function(node_id: str):
    """The test function a node id names, or None (its module is imported, as pytest would collect it)."""
    path, name = _split(node_id)
    if not path.endswith(".py") or not (REPO / path).is_file():
        return None
    module = importlib.import_module(path[:-3].replace("/", "."))
    return getattr(module, name, None)


def missing_tests(rules: dict[str, Rule]) -> list[str]:
    found = []
    for key, rule in rules.items():
        for route, tests in rule.paths.items():
            if not tests:
                found.append(f"{key}: {route} names no test")
            found.extend(f"{key}: {route}: no test {node}" for node in tests if not callable(_test_function(node)))
    return found


@functools.cache
def _source_with_helpers(node_id: str) -> str:
    """A test's source and that of the module-level functions it calls (a URL often sits in a helper)."""
    path, name = _split(node_id)
    tree = ast.parse((REPO / path).read_text())
    defs = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    # Module-level constants too (URL = "/api/v1/sales-reports").
    defs.update({t.id: n for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)})
    text = (REPO / path).read_text()
    seen, stack = {name}, [defs[name]]
    # Fixtures named as arguments may build the request too.
    stack += [defs[a.arg] for a in defs[name].args.args if a.arg in defs and a.arg not in seen]
    parts = []
    while stack:
        node = stack.pop()
        parts.append(ast.get_source_segment(text, node))
        for child in ast.walk(node):
            if isinstance(child, ast.Name) and child.id in defs and child.id not in seen:
                seen.add(child.id)
                stack.append(defs[child.id])
    return "\n".join(parts)


def mentions(route: str, source: str) -> bool:
    """Whether a test's source names the route it is declared for."""
    if route.startswith("admin:"):
        return "admin" in source
    if route.startswith(("command:", "task:")):
        return route.split(":", 1)[1] in source
    if route.startswith(("GET ", "POST ", "PATCH ", "PUT ", "DELETE ")):
        segments = [s for s in route.split(" ", 1)[1].removeprefix("/api/v1").split("/") if s and "{" not in s]
        return all(f"/{segment}" in source for segment in segments)
    if route in source:
        return True
    # A page written out as its path ("/clients/{client.pk}/delete/"): every literal part of its route.
    pattern = rules_walk.page_paths().get(route)
    if not pattern:
        return False
    parts = [p for p in pattern.split("/") if p and "<" not in p]
    return bool(parts) and all(f"/{part}/" in source or f"/{part}\"" in source for part in parts)


def unmentioned(rules: dict[str, Rule]) -> list[str]:
    found = []
    for key, rule in rules.items():
        for route, tests in rule.paths.items():
            if route in (SERVICE, EVERY_GET):
                continue
            for node in tests:
                if callable(_test_function(node)) and not mentions(route, _source_with_helpers(node)):
                    found.append(f"{key}: {node} does not mention {route}")
    return found


@functools.cache
def _roots() -> dict[str, str]:
    return rules_walk.all_roots()


@functools.cache
def _reached(root: str) -> frozenset[str]:
    return frozenset(rules_walk.reaches([root]))


def admin_writes(rule: Rule) -> set[str]:
    """``admin:<label>`` of every Django admin whose change form writes one of the rule's fields."""
    found = set()
    for spec in rule.fields:
        label, _, field_name = spec.rpartition(".")
        editable = rules_walk.admin_editable_fields(label)
        if editable is not None and field_name in editable:
            found.add(f"admin:{label}")
    return found


def reaching_routes(rule: Rule, roots: dict[str, str]) -> set[str]:
    """Every route whose function reaches one of the rule's enforcing functions, plus the admins writing its fields."""
    found = {key for key, root in roots.items()
             if key not in EXEMPT_ROUTES and set(rule.enforced_by) & _reached(root)}
    return found | admin_writes(rule)


def unknown_enforcers(rules: dict[str, Rule]) -> list[str]:
    return [f"{key}: {name} is not a function of keychannel" for key, rule in rules.items()
            for name in rule.enforced_by if rules_walk.canonical(name) != name]


def undeclared_routes(rules: dict[str, Rule], roots: dict[str, str]) -> list[str]:
    found = []
    for key, rule in rules.items():
        declared = set(rule.paths) | set(rule.unaffected) | set(rule.gaps)
        covered_by_walk = EVERY_GET in rule.paths
        for route in sorted(reaching_routes(rule, roots) - declared):
            if covered_by_walk and (route.startswith("GET ") or _is_get_page(route)):
                continue
            found.append(f"{key}: {route} reaches {', '.join(rule.enforced_by)} and has no case for the rule")
    return found


def stale_routes(rules: dict[str, Rule], roots: dict[str, str]) -> list[str]:
    found = []
    for key, rule in rules.items():
        reaching = reaching_routes(rule, roots)
        for route in sorted((set(rule.paths) | set(rule.unaffected) | set(rule.gaps)) - {SERVICE, EVERY_GET}):
            if route not in roots:
                found.append(f"{key}: {route} is not a route")
            elif route not in reaching:
                found.append(f"{key}: {route} does not reach {', '.join(rule.enforced_by)}")
    return found


@functools.cache
def _get_pages() -> frozenset[str]:
    return frozenset(r.key for r in load_routes() if not r.api and r.method == "GET")


def _is_get_page(route: str) -> bool:
    return route in _get_pages()


def doc_sections(text: str) -> dict[str, str]:
    sections, current = {}, None
    for line in text.splitlines():
        heading = re.match(r"^## (.+?)\s*$", line)
        if heading:
            current = heading.group(1)
            sections[current] = ""
        elif current:
            sections[current] += line + "\n"
    return sections


def doc_problems(rules: dict[str, Rule], text: str) -> list[str]:
    sections = doc_sections(text)
    titles = {rule.title: key for key, rule in rules.items()}
    found = [f"docs/rules.md: section '{title}' is not a declared rule" for title in sections if title not in titles]
    for title, key in titles.items():
        if title not in sections:
            found.append(f"docs/rules.md: rule {key} ('{title}') has no section")
            continue
        for name in rules[key].enforced_by:
            if name.rsplit(".", 1)[1] not in sections[title]:
                found.append(f"docs/rules.md: section '{title}' does not name {name}")
        rule = rules[key]
        for route in [*rule.paths, *rule.unaffected, *rule.gaps]:
            if f"`{route}`" not in sections[title]:
                found.append(f"docs/rules.md: section '{title}' does not list the path `{route}`")
    return found


# ---- the catalogue as it stands -----------------------------------------------------------------------------------

def test_every_enforcing_function_exists():
    assert unknown_enforcers(RULES) == []


def test_every_declared_test_exists():
    assert missing_tests(RULES) == []


def test_every_route_that_reaches_a_rule_has_a_case_for_it():
    assert undeclared_routes(RULES, _roots()) == []


def test_every_declared_route_exists_and_reaches_its_rule():
    assert stale_routes(RULES, _roots()) == []


def test_each_test_mentions_the_route_it_is_declared_for():
    assert unmentioned(RULES) == []


def test_docs_list_exactly_the_declared_rules():
    assert doc_problems(RULES, DOC.read_text()) == []


# ---- the guards themselves ------------------------------------------------------------------------------------------

GATE_ONLY = Rule(title="Registration gate", enforced_by=("keychannel.deals.gate.enforce",),
                 paths={"deals:opportunity_create": ("keychannel/channel/tests/test_gate.py::"
                                                     "test_new_deal_form_refuses_and_offers_register_this_deal",)})


def test_an_undeclared_route_is_reported():
    """A route (here a fake one whose view creates deals) that reaches the gate without a case shows up."""
    roots = {"deals:opportunity_create": _roots()["deals:opportunity_create"],
             "fake:bulk_deal_import": "keychannel.deals.services.opportunity_create"}
    problems = undeclared_routes({"gate": GATE_ONLY}, roots)
    assert problems == ["gate: fake:bulk_deal_import reaches keychannel.deals.gate.enforce and has no case for the rule"]


def test_an_admin_writing_a_ruled_field_is_reported():
    rule = Rule(title="t", enforced_by=("keychannel.deals.services._check_tier_setter",), paths={},
                fields=("deals.CorporateContract.tier",))
    assert "admin:deals.CorporateContract" in reaching_routes(rule, {})


def test_a_missing_test_a_stale_route_and_an_unmentioned_route_are_reported():
    rule = Rule(title="t", enforced_by=("keychannel.deals.gate.enforce",), paths={
        "deals:opportunity_create": ("keychannel/channel/tests/test_gate.py::test_that_does_not_exist",),
        "clients:client_list": ("keychannel/channel/tests/test_gate.py::test_own_book_and_coverage_need_nothing",),
    })
    assert missing_tests({"r": rule}) == [
        "r: deals:opportunity_create: no test keychannel/channel/tests/test_gate.py::test_that_does_not_exist"]
    assert stale_routes({"r": rule}, _roots()) == ["r: clients:client_list does not reach keychannel.deals.gate.enforce"]
    assert unmentioned({"r": rule}) == ["r: keychannel/channel/tests/test_gate.py::test_own_book_and_coverage_need_nothing"
                                        " does not mention clients:client_list"]


@pytest.mark.parametrize(("text", "problem"), [
    ("## Registration gate\n`enforce`\n## Something else\n", "section 'Something else' is not a declared rule"),
    ("## Another\n", "rule gate ('Registration gate') has no section"),
    ("## Registration gate\nnothing named\n", "section 'Registration gate' does not name keychannel.deals.gate.enforce"),
])
def test_the_docs_guard_reports_a_rule_missing_or_extra(text, problem):
    assert any(problem in p for p in doc_problems({"gate": GATE_ONLY}, text)), doc_problems({"gate": GATE_ONLY}, text)
