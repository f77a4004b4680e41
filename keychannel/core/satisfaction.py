"""Client satisfaction from apps above the one that shows it.

The segments (sales) show each client's satisfaction with service (service cases, which sit above sales): the
service app registers a source in ``ready()``; sales asks here, never importing service (docs/development.md).
"""

from collections.abc import Callable

_sources: list[Callable] = []


def register_client_satisfaction(source: Callable) -> None:
    """``source(principal, *, client_ids, year) -> {client_id: {"rating", "class", "ratings"}}``."""
    if source not in _sources:
        _sources.append(source)


def client_satisfaction(principal, *, client_ids, year=None) -> dict[int, dict]:
    out: dict[int, dict] = {}
    ids = list(client_ids)
    if not ids:
        return out
    for source in _sources:
        out.update(source(principal, client_ids=ids, year=year))
    return out
