"""The API's list pagination: limit/offset, with both bounded so no number reaches the database unchecked."""

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_OFFSET = 10_000_000


class BoundedPagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(100, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


def capped_count(queryset, cap: int) -> tuple[int, bool]:
    """How many rows match, reading at most ``cap + 1`` of them: ``(min(count, cap), count > cap)``."""
    seen = queryset.values("pk").order_by()[: cap + 1].count()
    return min(seen, cap), seen > cap


class CappedCountPagination(BoundedPagination):
    """For tables of millions of rows (sales lines, segments): the page is read off an index, and the count
    stops at ``COUNT_CAP`` instead of reading every matching row on every page."""

    COUNT_CAP = 100_000

    class Output(Schema):
        items: list[Any]
        count: int = Field(..., description="Matching rows, exact up to 100,000; see count_is_capped.")
        count_is_capped: bool = Field(..., description="True when more than 100,000 rows match: count is then 100,000.")

    def paginate_queryset(self, queryset: QuerySet, pagination, request, **params):
        offset, limit = pagination.offset, min(pagination.limit, self.max_limit)
        count, capped = capped_count(queryset, self.COUNT_CAP)
        return {"items": queryset[offset: offset + limit], "count": count, "count_is_capped": capped}
