"""The board's pictures, drawn on the server: a heat map of pendency beyond RTS (district by
department) and weekly trends of received, disposed and disposed beyond RTS. Plain HTML and
inline SVG, so nothing is fetched from anywhere and the page works without JavaScript;
every picture comes with its numbers as a table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum
from django.db.models.functions import TruncWeek
from django.utils.html import escape

from seva.org.models import Department, Jurisdiction

from .boards import (
    FAMILIES,
    STATE_COLUMNS,
    BoardFilters,
    board_scope,
    board_sums,
    columns_needed,
    filter_rollups,
)
from .models import RtsAreaDaily, RtsDaily, RtsStateDaily


@dataclass(frozen=True)
class HeatCell:
    beyond: int
    underway: int

    @property
    def pct(self) -> Decimal | None:
        if not self.underway:
            return None
        return (Decimal(100) * self.beyond / self.underway).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def level(self) -> int:
        """0 (none beyond RTS) to 4 (half or more beyond RTS): the cell's shade."""
        pct = self.pct
        if not pct:
            return 0
        return 1 + sum(pct >= floor for floor in (10, 25, 50))


@dataclass(frozen=True)
class HeatMap:
    districts: list[tuple[int, str]]
    departments: list[tuple[int, str]]
    cells: dict[tuple[int, int], HeatCell]

    def rows(self):
        for district_id, name in self.districts:
            yield (
                name,
                [self.cells.get((district_id, d), HeatCell(0, 0)) for d, _n in self.departments],
            )


def pendency_heat_map(*, user, filters: BoardFilters, today: dt.date) -> HeatMap:
    """Files underway now, and of those beyond RTS, for each district and department."""
    cells = {}
    found = board_sums(("district_id", "department_id"), filters, board_scope(user), today)
    for key, values in found.items():
        if values["underway"]:
            cells[key] = HeatCell(beyond=values["underway_beyond"], underway=values["underway"])
    district_ids = sorted({d for d, _x in cells})
    department_ids = sorted({x for _d, x in cells})
    districts = dict(Jurisdiction.objects.filter(pk__in=district_ids).values_list("pk", "name_en"))
    departments = dict(
        Department.objects.filter(pk__in=department_ids).values_list("pk", "name_en")
    )
    return HeatMap(
        districts=sorted(((d, districts.get(d, "—")) for d in district_ids), key=lambda x: x[1]),
        departments=sorted(
            ((d, departments.get(d, "—")) for d in department_ids), key=lambda x: x[1]
        ),
        cells=cells,
    )


@dataclass(frozen=True)
class WeekPoint:
    week: dt.date  # the Monday
    received: int
    disposed: int
    beyond: int  # disposed of after the RTS deadline


def weekly_trend(
    *, user, filters: BoardFilters, today: dt.date, weeks: int = 12
) -> list[WeekPoint]:
    """The last `weeks` weeks up to `today` (or the filter's end), one point a week."""
    end = filters.end or today
    first_monday = end - dt.timedelta(days=end.weekday()) - dt.timedelta(weeks=weeks - 1)
    scope = board_scope(user)
    # The state's daily table (a row per department and kind) when nothing narrower is
    # asked; the areas' for a district; the fine table below a district.
    needed = columns_needed(filters, scope)
    model = (
        RtsStateDaily
        if needed <= STATE_COLUMNS
        else RtsAreaDaily
        if needed <= FAMILIES[0].columns
        else RtsDaily
    )
    daily = filter_rollups(model.objects.all(), filters, scope).filter(
        day__gte=max(first_monday, filters.start or first_monday), day__lte=end
    )
    found = {
        values["week"]: values
        for values in daily.annotate(week=TruncWeek("day"))
        .values("week")
        .annotate(
            received=Sum("received"),
            disposed=Sum("disposed"),
            within=Sum("disposed_within_rts"),
        )
    }
    points = []
    for index in range(weeks):
        monday = first_monday + dt.timedelta(weeks=index)
        values = found.get(monday, {})
        disposed = values.get("disposed") or 0
        points.append(
            WeekPoint(
                week=monday,
                received=values.get("received") or 0,
                disposed=disposed,
                beyond=disposed - (values.get("within") or 0),
            )
        )
    return points


SERIES = (
    ("received", "Received", "#1d70b8"),
    ("disposed", "Disposed", "#00703c"),
    ("beyond", "Disposed beyond RTS", "#d4351c"),
)


def trend_svg(points: list[WeekPoint], *, width: int = 640, height: int = 220) -> str:
    """A line for each series over the weeks, with axes; the caller shows the same numbers
    as a table."""
    left, bottom, top, right = 40, 30, 10, 10
    top_value = max([1, *(getattr(p, name) for p in points for name, _l, _c in SERIES)])
    span_x = (width - left - right) / max(1, len(points) - 1)
    span_y = height - top - bottom

    def xy(index: int, value: int) -> str:
        return f"{left + index * span_x:.1f},{top + span_y * (1 - value / top_value):.1f}"

    parts = [
        f'<svg class="d-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="d-trend-title" xmlns="http://www.w3.org/2000/svg">',
        '<title id="d-trend-title">Weekly received, disposed and disposed beyond RTS</title>',
        f'<line x1="{left}" y1="{top + span_y}" x2="{width - right}" y2="{top + span_y}" stroke="#505a5f"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + span_y}" stroke="#505a5f"/>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" font-size="10">{top_value}</text>',
        f'<text x="{left - 4}" y="{top + span_y}" text-anchor="end" font-size="10">0</text>',
    ]
    for name, label, colour in SERIES:
        line = " ".join(xy(i, getattr(p, name)) for i, p in enumerate(points))
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{line}">'
            f"<title>{escape(label)}</title></polyline>"
        )
    for i, point in enumerate(points):
        if i % 2 == 0:
            x = left + i * span_x
            parts.append(
                f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" font-size="10">'
                f"{point.week.strftime('%d-%m')}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
