"""No test module reads today's date when it is imported.

A module constant such as ``TODAY = timezone.localdate()`` is read once, when pytest collects the module. A run
that crosses midnight in Bucharest (22:00 UTC in winter) then compares yesterday's date with the code's today, and
the test fails on a correct program (it happened to the list filters' test). Today is read at the test, in a
fixture or in a function the test calls.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLOCK_CALLS = ("localdate", "today", "now", "localtime")


def _test_modules():
    yield from (ROOT / "tests").rglob("*.py")
    for tests_dir in (ROOT / "keychannel").rglob("tests"):
        yield from tests_dir.rglob("*.py")


def _evaluated_at_import(statements):
    """The parts of a module that run when it is imported: module and class bodies, decorators, default values (not
    function bodies, and not lambdas, which run when called)."""
    for node in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from node.decorator_list
            yield from node.args.defaults
            yield from (default for default in node.args.kw_defaults if default is not None)
        elif isinstance(node, ast.ClassDef):
            yield from node.decorator_list
            yield from _evaluated_at_import(node.body)
        else:
            yield node


def _clock_reads(node):
    """Calls of the clock in ``node``, skipping lambdas' bodies."""
    if isinstance(node, ast.Lambda):
        return
    if isinstance(node, ast.Call):
        name = ast.unparse(node.func).rsplit(".", 1)[-1]
        if name in CLOCK_CALLS:
            yield node
    for child in ast.iter_child_nodes(node):
        yield from _clock_reads(child)


def import_time_clock_reads(source: str) -> list[str]:
    tree = ast.parse(source)
    return [f"line {call.lineno}: {ast.unparse(call)}" for node in _evaluated_at_import(tree.body)
            for call in _clock_reads(node)]


def test_the_check_finds_a_module_constant_and_ignores_a_function_body():
    source = (
        "import datetime\nfrom django.utils import timezone\n"
        "TODAY = timezone.localdate()\n"
        "LATER = lambda: timezone.localdate()\n"
        "def close_on(day=datetime.date.today()):\n    return timezone.localdate()\n"
        "class Case:\n    START = timezone.now()\n"
    )
    assert import_time_clock_reads(source) == [
        "line 3: timezone.localdate()", "line 5: datetime.date.today()", "line 8: timezone.now()"]


def test_no_test_module_reads_the_date_at_import():
    found = {}
    for path in sorted(set(_test_modules())):
        if reads := import_time_clock_reads(path.read_text(encoding="utf-8")):
            found[str(path.relative_to(ROOT))] = reads
    assert found == {}, "read today at the test, not at import: " + repr(found)
