"""The workflow diagram: what an admin sees of a workflow, and what it warns them about."""

import copy
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from seva.workflows.diagram import workflow_findings, workflow_svg

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows_yaml"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def certificate() -> dict:
    return yaml.safe_load((WORKFLOWS / "certificate_verification.yaml").read_text())


def broken(certificate: dict) -> dict:
    """The certificate workflow with an orphan state and a state nothing leads out of."""
    doc = copy.deepcopy(certificate)
    doc["states"]["archived"] = {
        "label": {"en": "Archived", "hi": "संग्रहीत"},
        "role": "revenue_clerk",
        "sla_days": 2,
    }
    doc["transitions"].append(
        {
            "action": "unarchive",
            "label": {"en": "Unarchive", "hi": "पुनः खोलें"},
            "from": "archived",
            "to": "scrutiny",
            "roles": ["revenue_clerk"],
        }
    )
    doc["states"]["on_hold"] = {
        "label": {"en": "On hold", "hi": "रोका गया"},
        "role": "tehsildar",
        "sla_days": 3,
    }
    doc["transitions"].append(
        {
            "action": "hold",
            "label": {"en": "Hold", "hi": "रोकें"},
            "from": ["decision"],
            "to": "on_hold",
            "roles": ["tehsildar"],
        }
    )
    return doc


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def text_of(element: ET.Element) -> str:
    return " ".join("".join(t.itertext()) for t in element.iter(f"{SVG}text"))


def state_groups(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-state"): g for g in root.iter(f"{SVG}g") if g.get("data-state")}


def action_texts(root: ET.Element) -> list[str]:
    return [
        "".join(span.itertext())
        for text in root.iter(f"{SVG}text")
        if text.get("class") == "wf-action"
        for span in text.iter(f"{SVG}tspan")
    ]


def contrast(foreground: str, background: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_diagram_names_every_state_and_action(certificate):
    root = parse(workflow_svg(certificate))
    groups = state_groups(root)

    assert set(groups) == set(certificate["states"])
    for code, spec in certificate["states"].items():
        assert spec["label"]["en"] in text_of(groups[code])
        assert code in text_of(groups[code])
    assert {t["action"] for t in certificate["transitions"]} == set(action_texts(root))


def test_each_state_shows_who_holds_it_and_for_how_long(certificate):
    groups = state_groups(parse(workflow_svg(certificate)))

    assert "role: patwari" in text_of(groups["field_verification"])
    assert "SLA 5 days" in text_of(groups["field_verification"])
    assert "with citizen" in text_of(groups["returned"])
    assert "outcome: approved" in text_of(groups["approved"])


def test_labels_are_drawn_in_the_language_asked_for(certificate):
    groups = state_groups(parse(workflow_svg(certificate, language="hi")))

    assert "पटवारी द्वारा क्षेत्र सत्यापन" in text_of(groups["field_verification"])


def test_a_clean_workflow_warns_of_nothing(certificate):
    root = parse(workflow_svg(certificate))

    assert workflow_findings(certificate) == {"unreachable": [], "dead_ends": []}
    for group in state_groups(root).values():
        assert "unreachable" not in text_of(group)
        assert "dead end" not in text_of(group)
    assert "Unreachable: none. Dead ends: none." in root.find(f"{SVG}desc").text


def test_an_unreachable_state_and_a_dead_end_are_marked_in_words_and_colour(certificate):
    doc = broken(certificate)
    root = parse(workflow_svg(doc))
    groups = state_groups(root)

    assert workflow_findings(doc) == {"unreachable": ["archived"], "dead_ends": ["on_hold"]}
    assert "unreachable" in text_of(groups["archived"])
    assert "dead end" in text_of(groups["on_hold"])
    assert "unreachable" not in text_of(groups["on_hold"])

    def fill(code: str) -> str:
        return groups[code].find(f"{SVG}rect").get("fill")

    assert len({fill("archived"), fill("on_hold"), fill("decision"), fill("approved")}) == 4
    description = root.find(f"{SVG}desc").text
    assert "Unreachable: archived." in description
    assert "Dead ends: on_hold." in description


def test_unreachable_states_are_drawn_below_the_rest(certificate):
    groups = state_groups(parse(workflow_svg(broken(certificate))))

    def top(code: str) -> float:
        return float(groups[code].find(f"{SVG}rect").get("y"))

    assert top("archived") > max(top(code) for code in groups if code != "archived")


def test_the_initial_state_has_the_thickest_border(certificate):
    groups = state_groups(parse(workflow_svg(certificate)))
    widths = {code: float(g.find(f"{SVG}rect").get("stroke-width")) for code, g in groups.items()}

    assert max(widths, key=widths.get) == "scrutiny"
    assert list(widths.values()).count(widths["scrutiny"]) == 1


def test_a_return_to_an_earlier_state_and_a_self_loop_are_curved(certificate):
    doc = copy.deepcopy(certificate)
    doc["transitions"].append(
        {
            "action": "reassign",
            "label": {"en": "Reassign", "hi": "पुनः सौंपें"},
            "from": "decision",
            "to": "decision",
            "roles": ["sdm"],
        }
    )
    root = parse(workflow_svg(doc))
    paths = {(p.get("data-from"), p.get("data-to")): p.get("d") for p in root.iter(f"{SVG}path")}

    assert re.search(r"[QC]", paths[("returned", "scrutiny")])
    assert re.search(r"[QC]", paths[("decision", "decision")])
    assert "reassign" in action_texts(root)


def test_a_label_with_markup_is_escaped(certificate):
    doc = copy.deepcopy(certificate)
    doc["states"]["scrutiny"]["label"]["en"] = '<script>alert("x")</script> & more'
    svg = workflow_svg(doc)

    assert "<script>" not in svg
    assert '<script>alert("x")</script>' in text_of(state_groups(parse(svg))["scrutiny"])


def test_a_transition_to_an_unknown_state_is_drawn_not_refused(certificate):
    doc = copy.deepcopy(certificate)
    doc["transitions"].append(
        {"action": "send_to_sdm", "from": "decision", "to": "sdm_review", "roles": ["tehsildar"]}
    )
    root = parse(workflow_svg(doc))

    assert "not a state" in text_of(state_groups(root)["sdm_review"])
    assert "send_to_sdm" in action_texts(root)
    assert "sdm_review" in root.find(f"{SVG}desc").text
    assert workflow_findings(doc) == {"unreachable": [], "dead_ends": []}


@pytest.mark.parametrize(
    "doc",
    [
        {},
        {"code": "empty", "states": {}, "transitions": []},
        {"initial": "nowhere", "states": {"a": {"label": {"en": "A"}}}},
        {"initial": "a", "states": {"a": None, "b": "not a mapping"}, "transitions": "nope"},
        {
            "initial": "a",
            "states": {"a": {"label": "plain text"}, "b": {"terminal": True}},
            "transitions": [
                {"action": "go", "from": ["a", None, 3], "to": "b"},
                {"action": "lost"},
                {"from": "a", "to": ["b"]},
                "not a transition",
            ],
        },
    ],
)
def test_a_broken_document_still_draws(doc):
    root = parse(workflow_svg(doc))

    assert root.get("role") == "img"
    assert set(workflow_findings(doc)) == {"unreachable", "dead_ends"}


def test_a_missing_initial_state_leaves_everything_unreachable():
    doc = {"initial": "nowhere", "states": {"a": {"label": {"en": "A"}, "terminal": True}}}

    assert workflow_findings(doc)["unreachable"] == ["a"]
    assert "not one of the states" in parse(workflow_svg(doc)).find(f"{SVG}desc").text


def test_the_svg_is_labelled_for_assistive_technology(certificate):
    root = parse(workflow_svg(certificate, id_prefix="cert"))
    ids = {element.get("id"): element for element in root.iter() if element.get("id")}

    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert ids[title_id].tag == f"{SVG}title"
    assert "Certificate with field verification" in ids[title_id].text
    assert ids[desc_id].tag == f"{SVG}desc"
    assert ids[desc_id].text.startswith("7 states, 7 transitions.")


def test_two_diagrams_on_one_page_do_not_share_ids(certificate):
    first = parse(workflow_svg(certificate, id_prefix="one"))
    second = parse(workflow_svg(broken(certificate), id_prefix="two"))
    first_ids = [e.get("id") for e in first.iter() if e.get("id")]
    second_ids = [e.get("id") for e in second.iter() if e.get("id")]

    assert not set(first_ids) & set(second_ids)
    for root, ids in ((first, first_ids), (second, second_ids)):
        references = {
            m for p in root.iter() for m in re.findall(r"url\(#([^)]+)\)", p.get("marker-end", ""))
        }
        assert references
        assert references <= set(ids)


def test_every_text_has_enough_contrast_against_its_fill(certificate):
    doc = broken(certificate)
    doc["transitions"].append({"action": "lost", "from": "scrutiny", "to": "nowhere"})
    root = parse(workflow_svg(doc))
    background = next(r for r in root.iter(f"{SVG}rect") if r.get("class") == "wf-background")

    for group in state_groups(root).values():
        fill = group.find(f"{SVG}rect").get("fill")
        for text in group.iter(f"{SVG}text"):
            assert contrast(text.get("fill"), fill) >= 4.5, group.get("data-state")
    for text in root.iter(f"{SVG}text"):
        if text.get("class") == "wf-action":
            assert contrast(text.get("fill"), background.get("fill")) >= 4.5


def test_a_state_that_consults_says_whom_and_for_how_long():
    factory = yaml.safe_load(
        (
            Path(__file__).resolve().parents[2] / "workflows_yaml/factory_registration.yaml"
        ).read_text()
    )
    group = state_groups(parse(workflow_svg(factory)))["nocs"]
    assert "SLA 12 days · consults 2" in text_of(group)
    tooltip = group.find("{http://www.w3.org/2000/svg}title").text
    assert "consults fire_safety (fire_station_officer of fire_services, 7 days)" in tooltip
    assert "consults pollution (pollution_regional_officer of environment, 10 days)" in tooltip
