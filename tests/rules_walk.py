"""A static walk from every route to the functions it reaches, for the rule catalogue (tests/rules_catalogue.py).

Routes are the ones the access matrix knows (URL names, API operation keys) plus the Django admin
(``admin:<app_label>.<Model>``), the management commands (``command:<name>``) and the background tasks
(``task:<name>``). From each route's function (or
class) the walk follows, through ``ast`` and without running anything, every name it refers to inside keychannel:
``services.opportunity_create``, ``gate.enforce``, ``from .handover import contract_end_early``, methods of the
classes it names (forms, admin forms). It over-approximates on purpose: a route named as reaching a rule that does
not really reach it costs a declaration with a reason; a route that reaches one unseen would cost the rule.
"""

from __future__ import annotations

import ast
import functools
import inspect
from pathlib import Path

import keychannel

ROOT = Path(keychannel.__file__).parent
SKIPPED_PARTS = {"tests", "migrations"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


class _Module:
    """One parsed module: its definitions (qualified names → AST nodes) and what its names stand for."""

    def __init__(self, name: str, path: Path):
        self.name = name
        self.package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        self.tree = ast.parse(path.read_text(), filename=str(path))
        self.defs: dict[str, ast.AST] = {}
        self.aliases: dict[str, str] = {}
        for node in self.tree.body:
            self._define(node, prefix=name)
        # Imports anywhere (function-level imports avoid import cycles between apps): name → dotted target.
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.aliases[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    package = self.package.split(".")
                    package = package[: len(package) - node.level + 1]
                    base = ".".join([*package, base] if base else package)
                for alias in node.names:
                    self.aliases[alias.asname or alias.name] = f"{base}.{alias.name}"

    def _define(self, node, prefix):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.defs[f"{prefix}.{node.name}"] = node
        elif isinstance(node, ast.ClassDef):
            self.defs[f"{prefix}.{node.name}"] = node
            for child in node.body:
                self._define(child, prefix=f"{prefix}.{node.name}")


@functools.cache
def modules() -> dict[str, _Module]:
    found = {}
    for path in ROOT.rglob("*.py"):
        if SKIPPED_PARTS & set(path.relative_to(ROOT).parts):
            continue
        name = _module_name(path)
        found[name] = _Module(name, path)
    return found


@functools.cache
def _definitions() -> dict[str, tuple[_Module, ast.AST]]:
    return {qual: (module, node) for module in modules().values() for qual, node in module.defs.items()}


def canonical(dotted: str, _seen=None) -> str | None:
    """The qualified name of the definition a dotted name stands for (following re-exports), or None."""
    defs = _definitions()
    if dotted in defs:
        return dotted
    seen = _seen or set()
    if dotted in seen:
        return None
    seen.add(dotted)
    # The longest prefix that is one of our modules; the rest is looked up there (maybe imported into it).
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = modules().get(".".join(parts[:cut]))
        if module is None:
            continue
        head, rest = parts[cut], parts[cut + 1:]
        if head in module.aliases:
            return canonical(".".join([module.aliases[head], *rest]), seen)
        return None
    return None


def _dotted(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


@functools.cache
def _edges(qual: str) -> frozenset[str]:
    """The definitions a function or class refers to directly (a class: through all its methods and attributes)."""
    module, node = _definitions()[qual]
    owner_class = qual.rpartition(".")[0]
    found = set()
    if isinstance(node, ast.ClassDef):
        # A class reaches its methods (a view class, a form's clean/save, an admin's save_model) and its bases.
        found.update(q for q in module.defs if q.rpartition(".")[0] == qual)
    for child in ast.walk(node):
        if not isinstance(child, (ast.Name, ast.Attribute)) or not isinstance(getattr(child, "ctx", None), ast.Load):
            continue
        dotted = _dotted(child)
        if not dotted:
            continue
        head, _, rest = dotted.partition(".")
        candidates = []
        if head in ("self", "cls") and rest:
            candidates.append(f"{owner_class}.{rest.split('.')[0]}")
        elif head in module.aliases:
            candidates.append(".".join(filter(None, [module.aliases[head], rest])))
        else:
            candidates.append(f"{module.name}.{dotted}")
        for candidate in candidates:
            # Try the full dotted name, then shorter ones (``services.x.objects`` → ``services.x``).
            parts = candidate.split(".")
            for cut in range(len(parts), 1, -1):
                target = canonical(".".join(parts[:cut]))
                if target:
                    if target != qual:
                        found.add(target)
                    break
    return frozenset(found)


def reaches(roots) -> set[str]:
    """Every definition reachable from the given qualified names."""
    seen, stack = set(), [r for r in roots if r in _definitions()]
    while stack:
        qual = stack.pop()
        if qual in seen:
            continue
        seen.add(qual)
        stack.extend(_edges(qual) - seen)
    return seen


def qualname(obj) -> str:
    obj = inspect.unwrap(obj)
    obj = getattr(obj, "view_class", obj)
    return f"{obj.__module__}.{obj.__qualname__}"


def page_roots(urlconf=None) -> dict[str, str]:
    """URL name (as the access matrix writes it) → qualified name of its view."""
    from tests.access import url_patterns

    return {name: qualname(pattern.callback) for name, _route, pattern in url_patterns(urlconf) if name}


@functools.cache
def page_paths(urlconf=None) -> dict[str, str]:
    """URL name → its route ("clients/<int:pk>/delete/"), for tests that write the URL out."""
    from tests.access import url_patterns

    return {name: route for name, route, _pattern in url_patterns(urlconf, skip=()) if name}


def api_roots() -> dict[str, str]:
    """API operation key ("PATCH /api/v1/opportunities/{id}") → qualified name of its function."""
    import re

    from ninja.utils import normalize_path

    from keychannel.api import api

    roots = {}
    for bound in api._get_bound_routers():
        for path, view in bound.path_operations.items():
            full = normalize_path("/" + "/".join(p for p in ("api/v1/", bound.prefix, path) if p))
            full = re.sub(r"{[^}:]+:", "{", full)
            for operation in view.operations:
                for method in operation.methods:
                    roots[f"{method.upper()} {full}"] = qualname(operation.view_func)
    return roots


def admin_roots() -> dict[str, str]:
    """``admin:<label>`` → qualified name of its ModelAdmin (its form's clean and save are reached through it)."""
    from django.contrib import admin

    return {f"admin:{model._meta.label}": qualname(type(model_admin))
            for model, model_admin in admin.site._registry.items()
            if model_admin.__module__.startswith("keychannel.")}


def command_roots() -> dict[str, str]:
    roots = {}
    for module in list(modules()):
        if ".management.commands." in module:
            roots[f"command:{module.rsplit('.', 1)[1]}"] = f"{module}.Command"
    return roots


def task_roots() -> dict[str, str]:
    """``task:<name>`` → qualified name of a background task (a function decorated ``@task`` in a ``tasks`` module):
    a worker runs it with no route in front, so it is a path of its own."""
    roots = {}
    for name, module in modules().items():
        if not name.endswith(".tasks"):
            continue
        for node in module.tree.body:
            if isinstance(node, ast.FunctionDef) and any(
                    (isinstance(d, ast.Name) and d.id == "task")
                    or (isinstance(d, ast.Call) and isinstance(d.func, ast.Name) and d.func.id == "task")
                    for d in node.decorator_list):
                roots[f"task:{node.name}"] = f"{name}.{node.name}"
    return roots


def all_roots(urlconf=None) -> dict[str, str]:
    return {**page_roots(urlconf), **api_roots(), **admin_roots(), **command_roots(), **task_roots()}


def admin_editable_fields(label: str) -> set[str] | None:
    """The model fields the Django admin of a model writes without the services (its change form), or None."""
    from django.apps import apps
    from django.contrib import admin
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    model = apps.get_model(label)
    model_admin = admin.site._registry.get(model)
    if model_admin is None:
        return None
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    form = model_admin.get_form(request, obj=None, fields=None)
    return set(form.base_fields) - set(model_admin.get_readonly_fields(request))
