"""A workflow drawn as a state diagram: inline SVG made on the server.

The definitions pages embed the markup as it is, so it is self-contained (the arrowheads are
defined inside, ids carry a prefix so two diagrams on one page do not clash) and every text
in it is escaped. A broken document is drawn as far as it goes, never refused: that is when
a department admin most needs to see it.

States are laid out in layers, breadth-first from the initial state; states that cannot be
reached go in a last layer of their own. Problems are shown by colour and also in words, so
colour is never the only cue.
"""

from __future__ import annotations

import html
import unicodedata
from collections import deque
from dataclasses import dataclass
from functools import cached_property
from typing import Any

# Geometry, in SVG user units (px at 100%).
_BOX_W = 230
_BOX_H = 118
_COL_GAP = 70
_ROW_GAP = 110
_MARGIN = 40
_START_H = 36  # room above the first layer for the "start" arrow
_LABEL_LINE = 13  # line height of an edge label

# Rough advance widths, to wrap and truncate texts that SVG will not wrap by itself.
_LABEL_CHARS = 28  # bold 13px state label
_LINE_CHARS = 34  # 11px code, holder and markers
_ACTION_CHAR_PX = 6.6  # 11px action code

# Every text colour is checked against its fill for 4.5:1 (WCAG AA) in the tests.
_BACKGROUND = "#ffffff"
_EDGE = "#475569"
_EDGE_TEXT = "#0f172a"
_MISSING_EDGE = "#b3261e"


@dataclass(frozen=True)
class _Look:
    fill: str
    stroke: str
    text: str
    dashed: bool = False


_PLAIN = _Look(fill="#ffffff", stroke="#334155", text="#0f172a")
_TERMINAL = _Look(fill="#e7f5ec", stroke="#1b6e3a", text="#0b3b1e")
_UNREACHABLE = _Look(fill="#eef1f5", stroke="#475569", text="#1e293b", dashed=True)
_DEAD_END = _Look(fill="#fdecea", stroke="#b3261e", text="#5c1a14")
_UNREACHABLE_DEAD_END = _Look(fill="#fdecea", stroke="#b3261e", text="#5c1a14", dashed=True)
_MISSING = _Look(fill="#ffffff", stroke="#b3261e", text="#7f1d1d", dashed=True)

UNREACHABLE = "unreachable"
DEAD_END = "dead end"
NOT_A_STATE = "not a state"


# --- reading a document that may be broken ------------------------------------------------


def _code(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list | bool):
        return None
    return str(value)


def _text(value: Any, language: str) -> str:
    """The text in `language`, else English, else any language there is."""
    if isinstance(value, dict):
        for key in (language, "en"):
            if isinstance(value.get(key), str) and value[key]:
                return value[key]
        return next((v for v in value.values() if isinstance(v, str) and v), "")
    return value if isinstance(value, str) else ""


def _sources(spec: dict[str, Any]) -> list[str]:
    value = spec.get("from")
    values = value if isinstance(value, list) else [value]
    return [code for code in map(_code, values) if code is not None]


@dataclass(frozen=True)
class _Graph:
    states: dict[str, dict[str, Any]]
    initial: str | None
    transitions: tuple[dict[str, Any], ...]

    @classmethod
    def read(cls, doc: Any) -> _Graph:
        doc = doc if isinstance(doc, dict) else {}
        raw_states = doc.get("states")
        states = (
            {str(code): spec if isinstance(spec, dict) else {} for code, spec in raw_states.items()}
            if isinstance(raw_states, dict)
            else {}
        )
        raw_transitions = doc.get("transitions")
        transitions = (
            tuple(t for t in raw_transitions if isinstance(t, dict))
            if isinstance(raw_transitions, list)
            else ()
        )
        return cls(states=states, initial=_code(doc.get("initial")), transitions=transitions)

    @cached_property
    def edges(self) -> tuple[tuple[str, str, str], ...]:
        """(source, target, action) in document order, each once; an automatic action (the
        platform takes it when its condition holds) is written with "(auto)"."""
        edges: dict[tuple[str, str, str], None] = {}
        for spec in self.transitions:
            target = _code(spec.get("to"))
            if target is None:
                continue
            action = _code(spec.get("action")) or "?"
            if spec.get("auto") is True:
                action = f"{action} (auto)"
            elif isinstance(spec.get("after_days"), int):
                action = f"{action} (after {spec['after_days']} days)"
            for source in _sources(spec):
                edges[(source, target, action)] = None
        return tuple(edges)

    @cached_property
    def missing(self) -> tuple[str, ...]:
        """Codes that transitions name but that are not states, in order of appearance."""
        named = (code for source, target, _ in self.edges for code in (source, target))
        return tuple(dict.fromkeys(code for code in named if code not in self.states))

    @cached_property
    def nodes(self) -> tuple[str, ...]:
        return (*self.states, *self.missing)

    @cached_property
    def depths(self) -> dict[str, int]:
        """Breadth-first distance from the initial state, for every node it reaches."""
        if self.initial not in self.states:
            return {}
        following: dict[str, list[str]] = {}
        for source, target, _ in self.edges:
            following.setdefault(source, []).append(target)
        depths = {self.initial: 0}
        queue = deque([self.initial])
        while queue:
            here = queue.popleft()
            for target in following.get(here, ()):
                if target not in depths:
                    depths[target] = depths[here] + 1
                    queue.append(target)
        return depths

    @cached_property
    def unreachable(self) -> list[str]:
        return sorted(code for code in self.states if code not in self.depths)

    @cached_property
    def dead_ends(self) -> list[str]:
        # Like the linter: any transition out counts, even one to a state that does not exist
        # (that is reported as its own problem).
        leaving = {source for spec in self.transitions for source in _sources(spec)}
        return sorted(
            code
            for code, spec in self.states.items()
            if not spec.get("terminal") and code not in leaving
        )


def workflow_findings(doc: dict[str, Any]) -> dict[str, list[str]]:
    """States no application can reach from the initial state, and open states no action
    leads out of (the same rules as `lint_workflow`), as sorted lists of codes."""
    graph = _Graph.read(doc)
    return {"unreachable": graph.unreachable, "dead_ends": graph.dead_ends}


# --- layout --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Box:
    code: str
    x: float
    y: float
    layer: int

    @property
    def cx(self) -> float:
        return self.x + _BOX_W / 2

    @property
    def cy(self) -> float:
        return self.y + _BOX_H / 2

    def border_towards(self, px: float, py: float) -> tuple[float, float]:
        """Where a line from the centre towards (px, py) leaves the box."""
        dx, dy = px - self.cx, py - self.cy
        if dx == 0 and dy == 0:
            return self.cx, self.cy
        scale = min(
            (_BOX_W / 2) / abs(dx) if dx else float("inf"),
            (_BOX_H / 2) / abs(dy) if dy else float("inf"),
        )
        return self.cx + dx * scale, self.cy + dy * scale


def _layers(graph: _Graph) -> list[list[str]]:
    depths = graph.depths
    order = {code: index for index, code in enumerate(graph.nodes)}
    layers: list[list[str]] = [[] for _ in range(max(depths.values(), default=-1) + 1)]
    for code in depths:  # breadth-first discovery order
        layers[depths[code]].append(code)
    # Put each state under the states it comes from (mean position), so fewer arrows cross.
    for index in range(1, len(layers)):
        above = {code: position for position, code in enumerate(layers[index - 1])}

        def under_parents(code: str, above: dict[str, int] = above) -> tuple[float, int]:
            parents = [above[s] for s, t, _ in graph.edges if t == code and s in above]
            return (sum(parents) / len(parents) if parents else float("inf"), order[code])

        layers[index].sort(key=under_parents)
    rest = [code for code in graph.nodes if code not in depths]
    if rest:
        layers.append(rest)
    return layers


# --- drawing -------------------------------------------------------------------------------


def _esc(value: Any) -> str:
    # Control characters are not allowed in XML at all; a stray one must not break the page.
    text = "".join(c for c in str(value) if c >= " " or c in "\t\n\r")
    return html.escape(text, quote=True)


def _n(value: float) -> str:
    return format(round(value, 1), "g")


def _width(text: str) -> int:
    """Characters that take room: a Devanagari vowel sign or virama sits on its letter."""
    return sum(1 for c in text if unicodedata.category(c) not in ("Mn", "Mc", "Cf"))


def _truncate(text: str, width: int) -> str:
    if _width(text) <= width:
        return text
    while _width(text) > width - 1:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(text: str, width: int, max_lines: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and _width(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    lines = lines or [""]
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
    return [_truncate(line, width) for line in lines]


def _days(value: Any) -> str:
    return f"{value} day" if value == 1 else f"{value} days"


def _holder(spec: dict[str, Any]) -> list[str]:
    """Who holds the file in the state, and for how long: one or two lines."""
    if spec.get("terminal"):
        outcome = _code(spec.get("outcome"))
        return [f"outcome: {outcome}" if outcome else "terminal, no outcome"]
    if spec.get("with_citizen"):
        holder = "with citizen"
    elif _code(spec.get("role")):
        holder = f"role: {spec['role']}"
    else:
        holder = "nobody holds it"
    consult = spec.get("consult") if isinstance(spec.get("consult"), list) else []
    asks = f"consults {len(consult)}" if consult else ""
    if spec.get("sla_days") is None:
        return [holder, asks] if asks else [holder]
    return [holder, " · ".join(filter(None, [f"SLA {_days(spec['sla_days'])}", asks]))]


def _consultations(spec: dict[str, Any]) -> list[str]:
    """Each office a state consults, for the state's tooltip: 'fire_safety (fire_station_officer
    of fire_services, 7 days)'."""
    found = []
    consult = spec.get("consult")
    for item in consult if isinstance(consult, list) else []:
        if not isinstance(item, dict):
            continue
        office = _code(item.get("role")) or "?"
        if _code(item.get("department")):
            office += f" of {item['department']}"
        days = _days(item["days"]) if isinstance(item.get("days"), int) else "no deadline"
        found.append(f"consults {_code(item.get('code')) or '?'} ({office}, {days})")
    return found


def _look(graph: _Graph, code: str) -> tuple[_Look, list[str]]:
    if code not in graph.states:
        return _MISSING, [NOT_A_STATE]
    flags = [
        flag
        for flag, found in ((UNREACHABLE, graph.unreachable), (DEAD_END, graph.dead_ends))
        if code in found
    ]
    if flags == [UNREACHABLE, DEAD_END]:
        return _UNREACHABLE_DEAD_END, flags
    if flags == [DEAD_END]:
        return _DEAD_END, flags
    if flags == [UNREACHABLE]:
        return _UNREACHABLE, flags
    if graph.states[code].get("terminal"):
        return _TERMINAL, flags
    return _PLAIN, flags


def _state_markup(graph: _Graph, box: _Box, language: str) -> str:
    spec = graph.states.get(box.code, {})
    look, flags = _look(graph, box.code)
    initial = box.code == graph.initial
    if box.code in graph.states:
        label = _text(spec.get("label"), language) or box.code
        holder = _holder(spec)
    else:
        label, holder = "Unknown state", ["named by a transition"]
    kinds = ["wf-state"]
    kinds += ["wf-initial"] if initial else []
    kinds += ["wf-terminal"] if spec.get("terminal") else []
    kinds += [f"wf-{flag.replace(' ', '-')}" for flag in flags]
    dash = ' stroke-dasharray="6 4"' if look.dashed else ""
    tooltip = "; ".join([f"{label} ({box.code})", *holder, *_consultations(spec), *flags])
    parts = [
        f'<g class="{" ".join(kinds)}" data-state="{_esc(box.code)}">',
        f"<title>{_esc(tooltip)}</title>",
        f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_BOX_W}" height="{_BOX_H}" rx="10" '
        f'fill="{look.fill}" stroke="{look.stroke}" stroke-width="{4 if initial else 1.5}"{dash}/>',
    ]
    if spec.get("terminal"):
        # A second border: a closed file can be told apart without seeing colour.
        parts.append(
            f'<rect x="{_n(box.x + 4)}" y="{_n(box.y + 4)}" width="{_BOX_W - 8}" '
            f'height="{_BOX_H - 8}" rx="7" fill="none" stroke="{look.stroke}" stroke-width="1"/>'
        )
    lines: list[tuple[str, str]] = [
        (line, 'font-size="13" font-weight="bold"') for line in _wrap(label, _LABEL_CHARS, 2)
    ]
    lines.append((_truncate(box.code, _LINE_CHARS), 'font-size="11" font-family="monospace"'))
    lines += [(_truncate(line, _LINE_CHARS), 'font-size="11"') for line in holder]
    if flags:
        lines.append((" · ".join(flags), 'font-size="11" font-weight="bold"'))
    baseline = box.y + 20
    for text, style in lines:
        parts.append(
            f'<text x="{_n(box.cx)}" y="{_n(baseline)}" text-anchor="middle" '
            f'fill="{look.text}" {style}>{_esc(text)}</text>'
        )
        baseline += 17
    parts.append("</g>")
    return "".join(parts)


@dataclass(frozen=True)
class _Label:
    """The action codes written beside an arrow, centred on (x, y)."""

    x: float
    y: float
    actions: tuple[str, ...]
    anchor: str = "middle"

    def bounds(self, shift: float = 0) -> tuple[float, float, float, float]:
        width = max(len(a) for a in self.actions) * _ACTION_CHAR_PX + 6
        left = {"start": self.x, "end": self.x - width}.get(self.anchor, self.x - width / 2)
        top = self.y + shift - len(self.actions) * _LABEL_LINE / 2
        return left, top, left + width, top + len(self.actions) * _LABEL_LINE

    def markup(self, shift: float = 0) -> str:
        top = self.y + shift - (len(self.actions) - 1) * _LABEL_LINE / 2 + 4
        spans = "".join(
            f'<tspan x="{_n(self.x)}" y="{_n(top + i * _LABEL_LINE)}">{_esc(action)}</tspan>'
            for i, action in enumerate(self.actions)
        )
        # A halo in the background colour keeps the label readable where it crosses a line.
        return (
            f'<text class="wf-action" text-anchor="{self.anchor}" font-size="11" '
            f'fill="{_EDGE_TEXT}" stroke="{_BACKGROUND}" stroke-width="4" '
            f'stroke-linejoin="round" paint-order="stroke">{spans}</text>'
        )


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _place_labels(
    labels: list[_Label], boxes: list[_Box]
) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Each label's markup and bounds, moved up or down a little where it would cover a state
    or another label (where it cannot help it, as little as it can)."""
    taken = [(b.x, b.y, b.x + _BOX_W, b.y + _BOX_H) for b in boxes]
    shifts = [0.0, *(sign * step * 7.0 for step in range(1, 9) for sign in (1, -1))]
    placed = []
    for label in labels:
        shift = min(
            shifts, key=lambda s: sum(_overlaps(label.bounds(s), t) for t in taken)
        )  # min() keeps the first of equals: the smallest shift
        taken.append(label.bounds(shift))
        placed.append((label.markup(shift), label.bounds(shift)))
    return placed


@dataclass(frozen=True)
class _Edge:
    markup: str
    label: _Label
    # The ends and control points: the curve lies inside them, so they bound the drawing.
    points: tuple[tuple[float, float], ...]


def _edge(
    source: _Box, target: _Box, actions: tuple[str, ...], *, curved: float, arrow: str, colour: str
) -> _Edge:
    """The arrow and its label. `curved` is how far the curve bends (0: a straight line)."""
    points: tuple[tuple[float, float], ...]
    if source is target:
        # A loop on the right side of the box.
        x, top, bottom = source.x + _BOX_W, source.cy - 18, source.cy + 18
        points = ((x, top), (x + 55, top - 30), (x + 55, bottom + 30), (x, bottom))
        path = "M{},{} C{},{} {},{} {},{}".format(*map(_n, (c for pt in points for c in pt)))
        label = _Label(x + 46, source.cy, actions, anchor="start")
    elif not curved:
        x1, y1 = source.border_towards(target.cx, target.cy)
        x2, y2 = target.border_towards(source.cx, source.cy)
        points = ((x1, y1), (x2, y2))
        path = f"M{_n(x1)},{_n(y1)} L{_n(x2)},{_n(y2)}"
        label = _Label((x1 + x2) / 2, (y1 + y2) / 2, actions)
    else:
        dx, dy = target.cx - source.cx, target.cy - source.cy
        length = (dx * dx + dy * dy) ** 0.5
        # Bend to the same side of the direction of travel, so the two arrows between a
        # pair of states, one each way, bend apart.
        nx, ny = dy / length, -dx / length
        qx = (source.cx + target.cx) / 2 + nx * curved
        qy = (source.cy + target.cy) / 2 + ny * curved
        x1, y1 = source.border_towards(qx, qy)
        x2, y2 = target.border_towards(qx, qy)
        points = ((x1, y1), (qx, qy), (x2, y2))
        path = f"M{_n(x1)},{_n(y1)} Q{_n(qx)},{_n(qy)} {_n(x2)},{_n(y2)}"
        # The label goes on the outer side of the bend, clear of the arrow coming back.
        mx, my = 0.25 * x1 + 0.5 * qx + 0.25 * x2, 0.25 * y1 + 0.5 * qy + 0.25 * y2
        if abs(nx) < 0.3:
            label = _Label(mx, my, actions)
        else:
            anchor = "start" if nx > 0 else "end"
            label = _Label(mx + (5 if nx > 0 else -5), my, actions, anchor=anchor)
    markup = (
        f'<path class="wf-transition" data-from="{_esc(source.code)}" '
        f'data-to="{_esc(target.code)}" d="{path}" fill="none" stroke="{colour}" '
        f'stroke-width="1.5" marker-end="url(#{arrow})"/>'
    )
    return _Edge(markup=markup, label=label, points=points)


def _bend(source: _Box, target: _Box, *, both_ways: bool) -> float:
    """How far an arrow bends: straight one layer down, gently between neighbouring layers
    or when an arrow comes back, and wide enough to clear the states in between when it
    skips a layer (or goes back up past one)."""
    layers_down = target.layer - source.layer
    if layers_down == 1:
        return 30.0 if both_ways else 0.0
    if layers_down == -1:
        return 30.0
    if layers_down == 0:
        return _BOX_H + 20.0
    return _BOX_W + 40.0


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _description(graph: _Graph, language: str) -> str:
    sentences = [
        f"{_plural(len(graph.states), 'state')}, {_plural(len(graph.transitions), 'transition')}."
    ]
    if graph.initial in graph.states:
        label = _text(graph.states[graph.initial].get("label"), language) or graph.initial
        sentences.append(f"Starts at {label} ({graph.initial}).")
    else:
        sentences.append(f"The initial state '{graph.initial or ''}' is not one of the states.")
    sentences.append(f"Unreachable: {', '.join(graph.unreachable) or 'none'}.")
    sentences.append(f"Dead ends: {', '.join(graph.dead_ends) or 'none'}.")
    if graph.missing:
        sentences.append(f"Transitions name states that do not exist: {', '.join(graph.missing)}.")
    return " ".join(sentences)


def workflow_svg(doc: dict[str, Any], *, language: str = "en", id_prefix: str = "wf") -> str:
    """The workflow as an accessible SVG state diagram, safe to embed in an HTML page."""
    graph = _Graph.read(doc)
    layers = _layers(graph)

    grouped: dict[tuple[str, str], list[str]] = {}
    for source, target, action in graph.edges:
        grouped.setdefault((source, target), []).append(action)
    loops = [actions for (source, target), actions in grouped.items() if source == target]
    # A self-loop's label sits to the right of its box: leave it room.
    widest_loop = max((len(a) for actions in loops for a in actions), default=0)
    col_gap = max(_COL_GAP, 56 + widest_loop * _ACTION_CHAR_PX) if loops else _COL_GAP

    widest = max((len(layer) for layer in layers), default=0)
    content_w = widest * _BOX_W + max(widest - 1, 0) * col_gap
    boxes: dict[str, _Box] = {}
    for index, layer in enumerate(layers):
        row_w = len(layer) * _BOX_W + (len(layer) - 1) * col_gap
        x = _MARGIN + (content_w - row_w) / 2
        y = _MARGIN + _START_H + index * (_BOX_H + _ROW_GAP)
        for code in layer:
            boxes[code] = _Box(code=code, x=x, y=y, layer=index)
            x += _BOX_W + col_gap

    p = _esc(id_prefix)
    edges = [
        _edge(
            boxes[source],
            boxes[target],
            tuple(actions),
            curved=_bend(boxes[source], boxes[target], both_ways=(target, source) in grouped),
            arrow=f"{p}-arrow-missing" if missing else f"{p}-arrow",
            colour=_MISSING_EDGE if missing else _EDGE,
        )
        for (source, target), actions in grouped.items()
        for missing in [source in graph.missing or target in graph.missing]
    ]
    labels = _place_labels([edge.label for edge in edges], list(boxes.values()))

    start = ""
    if graph.initial in boxes:
        box = boxes[graph.initial]
        top = box.y - _START_H + 6
        start = (
            f'<g class="wf-start"><circle cx="{_n(box.cx)}" cy="{_n(top)}" r="6" fill="{_EDGE_TEXT}"/>'
            f'<path d="M{_n(box.cx)},{_n(top + 6)} L{_n(box.cx)},{_n(box.y - 2)}" stroke="{_EDGE}" '
            f'stroke-width="1.5" marker-end="url(#{p}-arrow)"/>'
            f'<text x="{_n(box.cx + 12)}" y="{_n(top + 4)}" font-size="11" fill="{_EDGE_TEXT}">'
            "start</text></g>"
        )

    # The drawing's extent: curves and labels may reach past the states.
    xs: list[float] = [_MARGIN, _MARGIN + _BOX_W]
    ys: list[float] = [_MARGIN, _MARGIN + _START_H + _BOX_H]
    for box in boxes.values():
        xs += [box.x, box.x + _BOX_W]
        ys += [box.y, box.y + _BOX_H]
    for edge in edges:
        xs += [x for x, _ in edge.points]
        ys += [y for _, y in edge.points]
    for _markup, (left, top, right, bottom) in labels:
        xs += [left, right]
        ys += [top, bottom]
    left, top = min(xs) - _MARGIN / 2, min(ys) - _MARGIN / 2
    width, height = max(xs) - left + _MARGIN / 2, max(ys) - top + _MARGIN / 2

    name = _text(doc.get("name") if isinstance(doc, dict) else None, language)
    code = _code(doc.get("code") if isinstance(doc, dict) else None) or ""
    title = f"Workflow: {name} ({code})" if name and code else f"Workflow: {name or code}"

    def marker(suffix: str, colour: str) -> str:
        return (
            f'<marker id="{p}-{suffix}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
            f'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        )

    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="wf-diagram" role="img" '
            f'aria-labelledby="{p}-title {p}-desc" '
            f'viewBox="{_n(left)} {_n(top)} {_n(width)} {_n(height)}" '
            f'width="{_n(width)}" height="{_n(height)}" '
            f'font-family="system-ui, -apple-system, Segoe UI, Noto Sans, sans-serif">',
            f'<title id="{p}-title">{_esc(title)}</title>',
            f'<desc id="{p}-desc">{_esc(_description(graph, language))}</desc>',
            f"<defs>{marker('arrow', _EDGE)}{marker('arrow-missing', _MISSING_EDGE)}</defs>",
            f'<rect class="wf-background" x="{_n(left)}" y="{_n(top)}" width="{_n(width)}" '
            f'height="{_n(height)}" fill="{_BACKGROUND}"/>',
            start,
            f'<g class="wf-transitions">{"".join(edge.markup for edge in edges)}</g>',
            '<g class="wf-states">',
            *(_state_markup(graph, boxes[code], language) for code in graph.nodes),
            "</g>",
            f'<g class="wf-actions">{"".join(markup for markup, _bounds in labels)}</g>',
            "</svg>",
        ]
    )
