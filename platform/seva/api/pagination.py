"""Page-number pagination for every list: `?page=&page_size=`, answered as
{"count", "next", "previous", "results"}.

A malformed page or size answers 400 with the usual error body (not DRF's 404), and a page
past the end is an empty page: a client walking `next` never sees an error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from rest_framework import pagination, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from seva.queues.selectors import Colour

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# A bound on the page number keeps the row offset well inside what the database accepts.
MAX_PAGE = 100_000


class PageInput(serializers.Serializer):
    """The page asked for. Views with filters of their own extend this, so that a bad filter
    and a bad page are reported in one answer."""

    page = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE, default=1, help_text="From 1."
    )
    page_size = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        default=DEFAULT_PAGE_SIZE,
        help_text=f"Rows a page, at most {MAX_PAGE_SIZE}.",
    )


class PageNumberPagination(pagination.BasePagination):
    page_query_param = "page"
    page_size_query_param = "page_size"

    def paginate_queryset(self, queryset, request: Request, view=None) -> list:
        given = PageInput(data=request.query_params)
        given.is_valid(raise_exception=True)
        return self.paginate(
            queryset,
            request,
            page=given.validated_data["page"],
            page_size=given.validated_data["page_size"],
        )

    def paginate(
        self,
        items: QuerySet | Sequence,
        request: Request,
        *,
        page: int,
        page_size: int,
        count: int | None = None,
    ) -> list:
        """One page of `items`. Give `count` when it is already known (the queue counts its
        rows by colour anyway), to save a query."""
        self.request, self.page, self.page_size = request, page, page_size
        if count is None:
            count = items.count() if isinstance(items, QuerySet) else len(items)
        self.count = count
        start = (page - 1) * page_size
        return list(items[start : start + page_size]) if start < count else []

    def get_next_link(self) -> str | None:
        if self.page * self.page_size >= self.count:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.page_query_param, self.page + 1)

    def get_previous_link(self) -> str | None:
        if self.page <= 1:
            return None
        url = self.request.build_absolute_uri()
        # Past the end, "previous" is the last page that has rows.
        last = max(1, -(-self.count // self.page_size))
        previous = min(self.page - 1, last)
        if previous == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, previous)

    def get_paginated_response(self, data: list, **extra: Any) -> Response:
        return Response(
            {
                "count": self.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                **extra,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "description": "Rows on every page together."},
                "next": {"type": "string", "format": "uri", "nullable": True},
                "previous": {"type": "string", "format": "uri", "nullable": True},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.page_query_param,
                "in": "query",
                "required": False,
                "description": "The page, from 1. Past the last page, the page is empty.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": f"Rows a page (default {DEFAULT_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]


class QueuePagination(PageNumberPagination):
    """The queue's pages also carry the count of each colour (over every filter but the
    colour) and the page and size asked for."""

    def get_paginated_response_schema(self, schema: dict) -> dict:
        found = super().get_paginated_response_schema(schema)
        results = found["properties"].pop("results")
        found["properties"].update(
            counts={
                "type": "object",
                "description": "Files of each colour, whatever the `colour` filter.",
                "properties": {colour.value: {"type": "integer"} for colour in Colour},
                "required": [colour.value for colour in Colour],
            },
            page={"type": "integer"},
            page_size={"type": "integer"},
            results=results,
        )
        found["required"] = [*found["required"], "counts", "page", "page_size"]
        return found
