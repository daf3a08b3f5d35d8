from __future__ import annotations

from dataclasses import replace

import pypdfium2
from fpdf import FPDF
from fpdf.fonts import TTFFont

from seva.documents.pdf import (
    FONTS_DIR,
    PAGE_WIDTH,
    POINTS_PER_MM,
    Block,
    ShapedFont,
    extract_text,
    render,
)

from .layouts import HINDI_WORDS, english_layout, hindi_layout


def words(text: str) -> list[str]:
    """The words of `text` split on whitespace, without the punctuation around them."""
    return [word.strip(",.;:()।") for word in text.split()]


def page_count(pdf: bytes) -> int:
    return len(pypdfium2.PdfDocument(pdf))


def test_an_english_certificate_renders_on_one_page_with_its_values():
    rendered = render(english_layout(holder="Smt. Kamla Yadav"))

    text = extract_text(rendered.pdf)
    assert rendered.pdf.startswith(b"%PDF-")
    assert page_count(rendered.pdf) == 1
    assert rendered.page == 0
    for value in ("Income Certificate", "HR/INC/AMB/2026/000123", "07/12/2026", "Kamla Yadav"):
        assert value in text
    assert "₹1,80,000" in text


def test_the_signature_box_is_at_the_bottom_right_of_the_page_in_points():
    x1, y1, x2, y2 = render(english_layout()).signature_box

    assert x2 > x1 > PAGE_WIDTH * POINTS_PER_MM / 2
    assert 0 < y1 < y2 < 842 / 3
    assert round(x2 - x1) == round(70 * POINTS_PER_MM)


def test_hindi_words_with_conjuncts_and_vowel_signs_are_extracted_whole():
    rendered = render(hindi_layout())

    extracted = words(extract_text(rendered.pdf))
    assert [word for word in HINDI_WORDS if word not in extracted] == []
    assert "प्रमाण" in extracted  # the title, bold
    assert "Sunita" in extracted  # Latin inside a Hindi page comes from the fallback font


def test_plain_fpdf2_fonts_do_not_give_the_words_back(tmp_path):
    """The negative control: the same text, shaped by fpdf2 without ShapedFont, loses
    characters inside clusters, so the test above can tell the difference."""

    def extracted_words(font_class: type[TTFFont]) -> list[str]:
        pdf = FPDF()
        pdf.add_page()
        pdf.add_font("deva", "", str(FONTS_DIR / "NotoSansDevanagari-Regular.ttf"))
        pdf.fonts["deva"].__class__ = font_class
        pdf.set_font("deva", size=14)
        pdf.set_text_shaping(True)
        pdf.multi_cell(0, 10, " ".join(HINDI_WORDS))
        return words(extract_text(bytes(pdf.output())))

    plain = extracted_words(TTFFont)
    shaped = extracted_words(ShapedFont)

    assert [word for word in HINDI_WORDS if word not in plain] != []
    assert [word for word in HINDI_WORDS if word not in shaped] == []


def test_english_text_keeps_devanagari_through_the_fallback_font():
    layout = replace(english_layout(holder="Smt. Sunita Devi (सुनीता देवी)"))

    assert "सुनीता" in words(extract_text(render(layout).pdf))


def test_long_content_flows_onto_a_second_page_with_the_signature_box_on_the_last():
    rendered = render(english_layout(paragraphs=14))

    assert page_count(rendered.pdf) == 2
    assert rendered.page == 1
    document = pypdfium2.PdfDocument(rendered.pdf)
    last_page_text = document[1].get_textpage().get_text_range()
    assert "Digitally signed by" in last_page_text
    assert "Digitally signed by" not in document[0].get_textpage().get_text_range()
    assert "2/2" in last_page_text


def test_no_qr_code_when_there_is_no_qr_text():
    with_qr = render(english_layout(qr_text="SV1.abc"))
    without_qr = render(english_layout(qr_text=None))

    def images(pdf: bytes) -> int:
        page = pypdfium2.PdfDocument(pdf)[0]
        return sum(1 for obj in page.get_objects() if obj.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE)

    assert images(with_qr.pdf) == 1
    assert images(without_qr.pdf) == 0


def test_a_hindi_paragraph_opening_with_an_english_name_keeps_every_line():
    # fpdf2 lost the font of a later line when a line began in the fallback font (an English
    # name in a Hindi paragraph): the third line came out as garbage, or not at all.
    paragraph = (
        "Ram Kishan, पुत्र/पुत्री/पत्नी Late Sh. Hari Ram, निवासी House 31, Ward 4, Baldev Nagar, "
        "के आवेदन HR-SJE-OAP-2026-000001 तथा क्षेत्र सत्यापन की रिपोर्ट पर, 2026-05 (वर्ष-माह) से "
        "रु. 3,000 प्रति माह वृद्धावस्था सम्मान भत्ता स्वीकृत किया जाता है, जो प्रति माह नीचे दिए "
        "गए बैंक खाते में देय होगा।"
    )
    layout = replace(hindi_layout(), blocks=(Block(kind="paragraph", text=paragraph),))
    text = extract_text(render(layout).pdf)
    got = words(text)
    assert [w for w in words(paragraph) if w not in got] == []
