"""Issued documents laid out as PDF: a certificate, a licence, an order.

The layout is one fixed, official page design filled from a `Layout` (plain strings, already
translated and formatted by the caller); `render` turns it into PDF bytes and says where the
visible signature goes. Hindi and English are shaped by HarfBuzz (fpdf2's text shaping through
uharfbuzz), in the shipped Noto fonts, each the other's fallback so a Hindi page can carry an
English name and the other way round (ADR 0019).

Two things here go beyond what fpdf2 does by itself:

- `ShapedFont` gives every glyph of a shaped cluster its share of the cluster's text, so text
  copied or extracted from the PDF reads "प्रमाणित", not "प्रमाणि\\x05त" (see its docstring).
- The fonts are parsed once per process and cloned into each document, and the glyphs a
  document used are cut out of the font by HarfBuzz's subsetter before fpdf2 embeds them:
  parsing and subsetting four Noto fonts with fontTools took longer than all the rest of a
  certificate.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, Literal

import pypdfium2
import uharfbuzz
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace, HarfBuzzFont, SubsetMap, TTFFont
from fpdf.output import OutputProducer

from seva.documents.qr import qr_png

FONTS_DIR = Path(__file__).resolve().parent / "fonts"

# fpdf2 font families (its keys are the lower-cased family plus "B" for bold).
LATIN = "notosans"
DEVANAGARI = "notodeva"
FONT_FILES = {
    (LATIN, ""): "NotoSans-Regular.ttf",
    (LATIN, "B"): "NotoSans-Bold.ttf",
    (DEVANAGARI, ""): "NotoSansDevanagari-Regular.ttf",
    (DEVANAGARI, "B"): "NotoSansDevanagari-Bold.ttf",
}

# The page, in millimetres (fpdf2's unit here; origin top-left).
PAGE_WIDTH = 210.0
PAGE_HEIGHT = 297.0
MARGIN = 18.0
TOP_MARGIN = 15.0
QR_SIZE = 30.0
SIGNATURE_BOX_WIDTH = 70.0
SIGNATURE_BOX_HEIGHT = 25.0
POINTS_PER_MM = 72 / 25.4
FOOTER_SIZE = 7.5  # points
FOOTER_LINE = 3.4
FOOTER_TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN - 16  # the page number sits to its right

INK = (33, 37, 41)
MUTED = (95, 99, 104)
RULE = (60, 64, 67)
LABEL_FILL = (241, 243, 245)


@dataclass(frozen=True)
class Fact:
    """One row of a two-column table: "Annual income" | "₹1,80,000"."""

    label: str
    value: str


@dataclass(frozen=True)
class Block:
    """One block of the body, in order: a heading, a paragraph or a table of facts."""

    kind: Literal["heading", "paragraph", "facts"]
    text: str = ""
    facts: tuple[Fact, ...] = ()


@dataclass(frozen=True)
class Layout:
    """Everything printed on a document, already in the document's language."""

    language: str  # "en" or "hi": which font comes first for the body
    authority: str
    office: str
    title: str
    number_label: str
    number: str
    date_label: str
    date: str
    blocks: tuple[Block, ...]
    qr_text: str | None  # what the QR code encodes; None: no QR code
    verify_note: str  # printed under the QR code
    signature_label: str  # printed above the signature box
    footer: str  # small print at the bottom of every page


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    # (x1, y1, x2, y2) in PDF points, origin bottom-left, on `page`: where the visible
    # signature goes (`signing.sign_pdf(box=..., page=...)`).
    signature_box: tuple[float, float, float, float]
    page: int = 0  # the page of the signature box, counted from 0: the last page


def render(layout: Layout) -> Rendered:
    """Lay out `layout` on A4 pages: header, body, then the QR code and signature box at the
    bottom of the last page (a page is added when the body leaves no room for them)."""
    pdf = _new_document(layout)
    footer_height = pdf.footer_height = _footer_height(pdf, layout.footer)
    # The body may run down to the footer; the QR code and signature box find their own room.
    pdf.set_auto_page_break(True, margin=footer_height + 6)
    _write_header(pdf, layout)
    for block in layout.blocks:
        _write_block(pdf, block)
    box = _write_closing(pdf, layout, footer_height=footer_height)
    return Rendered(
        pdf=bytes(pdf.output(output_producer_class=_SubsettingOutputProducer)),
        signature_box=box,
        page=pdf.page - 1,
    )


def render_signature_stamp(lines: Sequence[str], *, width: float, height: float) -> bytes:
    """A one-page PDF of `width` x `height` points holding `lines`, the first in bold: the
    look of a visible signature (`signing.sign_pdf` places it in the signature box). Drawn
    here so a Hindi name and an English reason share the document's fonts and shaping."""
    pdf = _PageFontFirst(orientation="portrait", unit="pt", format=(width, height))
    pdf.set_margins(6, 6, 6)
    pdf.set_auto_page_break(False)
    _add_fonts(pdf)
    pdf.set_fallback_fonts([DEVANAGARI])
    pdf.set_text_shaping(True)
    pdf.set_text_color(*INK)
    pdf.add_page()
    pdf.set_y(6)
    for index, line in enumerate(lines):
        pdf.set_font(LATIN, "B" if index == 0 else "", 10 if index == 0 else 8.5)
        pdf.multi_cell(
            0, 13 if index == 0 else 10.5, line, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    return bytes(pdf.output(output_producer_class=_SubsettingOutputProducer))


def extract_text(pdf: bytes) -> str:
    """All the text of `pdf`, page after page, as pdfium reads it (what a viewer copies)."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = []
        for page in document:
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(pages)
    finally:
        document.close()


# --- fonts --------------------------------------------------------------------------------


class ShapedFont(TTFFont):
    """A TrueType font whose shaped glyphs carry their cluster's text between them.

    HarfBuzz turns a cluster of characters ("प्र" is प + ् + र) into one or more glyphs in an
    order of its own. fpdf2 gives the whole cluster's text to the cluster's first glyph and
    nothing to the others, and a glyph with no text comes out of a PDF reader as a control
    character. Here each glyph but the last of a cluster gets one character and the last
    gets the rest, so the glyphs' texts in glyph order spell the cluster exactly: readers that
    join glyphs in order (pdfium, browsers, copy and paste) get the words back whole.
    """

    __slots__ = ()

    def shape_text(
        self,
        text: str,
        font_size_pt: float,
        text_shaping_params: dict[str, Any] | None,
    ) -> Sequence[dict[str, Any]]:
        if not text:
            return []
        glyph_infos, glyph_positions = self.perform_harfbuzz_shaping(
            text, font_size_pt, text_shaping_params
        )
        cluster_starts = sorted({int(info.cluster) for info in glyph_infos})
        cluster_text = {
            start: text[start : (cluster_starts[i + 1] if i + 1 < len(cluster_starts) else None)]
            for i, start in enumerate(cluster_starts)
        }
        glyphs_of_cluster: dict[int, list[int]] = {}
        for index, info in enumerate(glyph_infos):
            glyphs_of_cluster.setdefault(int(info.cluster), []).append(index)
        share: dict[int, str] = {}
        for cluster, glyph_indexes in glyphs_of_cluster.items():
            characters = cluster_text[cluster]
            last = len(glyph_indexes) - 1
            for k, index in enumerate(glyph_indexes):
                share[index] = characters[k:] if k == last else characters[k : k + 1]

        metrics = self.ttfont["hmtx"].metrics
        shaped = []
        for index, info in enumerate(glyph_infos):
            position = glyph_positions[index]
            glyph_name = self.ttfont.getGlyphName(info.codepoint)
            glyph_width = round(self.scale * metrics[glyph_name][0])
            glyph = self.subset.get_glyph(
                glyph=info.codepoint,
                unicode=tuple(ord(character) for character in share[index]),
                glyph_name=glyph_name,
                glyph_width=glyph_width,
            )
            if glyph is None:
                continue
            shaped.append(
                {
                    "mapped_char": self.subset.pick_glyph(glyph),
                    "x_advance": position.x_advance,
                    "y_advance": position.y_advance,
                    "x_offset": position.x_offset,
                    "y_offset": position.y_offset,
                    "force_positioning": bool(
                        glyph_width != position.x_advance
                        or position.x_offset
                        or position.y_offset
                        or position.y_advance
                    ),
                }
            )
        return shaped

    def shaped_text_width(
        self,
        text: str,
        font_size_pt: float,
        text_shaping_params: dict[str, Any] | None,
    ) -> tuple[int, float]:
        # fpdf2's line breaking asks for the width of every character, one at a time, and of
        # the line so far after each one: shaping each time was most of a certificate's
        # layout. Widths depend only on the font file, the text, the size and the shaping
        # options, so they are kept per font for the life of the process (bounded).
        key = (text, font_size_pt, _shaping_key(text_shaping_params))
        widths = _text_widths.setdefault(self.fontkey, {})
        width = widths.get(key)
        if width is None:
            if len(widths) >= _TEXT_WIDTHS_KEPT:
                widths.clear()
            width = widths[key] = super().shaped_text_width(text, font_size_pt, text_shaping_params)
        return width

    def __deepcopy__(self, memo: dict[int, Any]) -> ShapedFont:
        # fpdf2's copy (used when it records a block to replay) would come back as a TTFFont.
        copied = super().__deepcopy__(memo)
        copied.__class__ = ShapedFont
        return copied  # type: ignore[return-value]  # the class was just set


_TEXT_WIDTHS_KEPT = 50_000
_text_widths: dict[str, dict[tuple[str, float, tuple[Any, ...]], tuple[int, float]]] = {}


def _shaping_key(params: dict[str, Any] | None) -> tuple[Any, ...]:
    """What of fpdf2's shaping options HarfBuzz is given (`TTFFont.perform_harfbuzz_shaping`)."""
    if not params:
        return ()
    features = params.get("features")
    return (
        params.get("script"),
        params.get("language"),
        params.get("fragment_direction"),
        tuple(sorted(features.items())) if features else (),
    )


@dataclass(frozen=True)
class _ParsedFont:
    font: ShapedFont  # parsed once; cloned into each document, never written to
    face: Any  # uharfbuzz.Face of the same file, for shaping and for subsetting


_parsed_fonts: dict[str, _ParsedFont] = {}
_parsing_lock = threading.Lock()

# Tables that only shaping needs: HarfBuzz shapes from the font file, and fpdf2 leaves these
# out of the embedded font anyway; dropping them up front spares fontTools reading them.
_SHAPING_TABLES = ("GSUB", "GPOS", "GDEF")


def _parsed(family: str, style: str, path: Path) -> _ParsedFont:
    fontkey = family + style
    parsed = _parsed_fonts.get(fontkey)
    if parsed is not None:
        return parsed
    with _parsing_lock:
        if fontkey not in _parsed_fonts:
            loader = FPDF()
            loader.add_font(family, style, str(path))
            font = loader.fonts[fontkey]
            assert isinstance(font, TTFFont)
            font.__class__ = ShapedFont
            assert isinstance(font, ShapedFont)
            for tag in _SHAPING_TABLES:
                if tag in font.ttfont:
                    del font.ttfont[tag]
            # Read now, once, what shaping reads later, so that clones only ever read it.
            font.ttfont["hmtx"]
            font.ttfont.getGlyphOrder()
            face = uharfbuzz.Face(uharfbuzz.Blob.from_file_path(str(path)))
            _parsed_fonts[fontkey] = _ParsedFont(font=font, face=face)
    return _parsed_fonts[fontkey]


def _add_fonts(pdf: FPDF) -> None:
    for (family, style), filename in FONT_FILES.items():
        fontkey = family + style
        parsed = _parsed(family, style, FONTS_DIR / filename)
        font = copy.copy(parsed.font)
        font.i = len(pdf.fonts) + 1
        font.desc = copy.copy(parsed.font.desc)  # fpdf2 numbers it as an object of the file
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font.color_font = None
        font._hbfont = HarfBuzzFont(parsed.face)
        font.subset = SubsetMap(font)
        pdf.fonts[fontkey] = font


class _SubsettingOutputProducer(OutputProducer):
    """fpdf2's writer, once the last page is finished (its footer drawn): the fonts are cut
    down first, so nothing is shaped with them afterwards."""

    def __init__(self, fpdf: FPDF) -> None:
        _subset_fonts(fpdf)
        super().__init__(fpdf)


def _subset_fonts(pdf: FPDF) -> None:
    """Give each font of `pdf` a small font of only the glyphs it used, cut by HarfBuzz.

    fpdf2 subsets (and so rewrites) `font.ttfont` while writing the file; here it gets a copy
    of its own, a few kilobytes, that keeps the glyph names fpdf2 finds the glyphs by.
    """
    for fontkey, font in pdf.fonts.items():
        parsed = _parsed_fonts.get(fontkey)
        if parsed is None or not isinstance(font, ShapedFont):
            continue
        subset_input = uharfbuzz.SubsetInput()
        subset_input.glyph_set.update(
            {glyph.glyph_id for glyph, _ in font.subset.items() if glyph is not None} | {0}
        )
        subset_input.flags = (
            uharfbuzz.SubsetFlags.GLYPH_NAMES
            | uharfbuzz.SubsetFlags.NOTDEF_OUTLINE
            | uharfbuzz.SubsetFlags.NO_HINTING
            | uharfbuzz.SubsetFlags.NO_LAYOUT_CLOSURE
        )
        drop = subset_input.sets(uharfbuzz.SubsetInputSets.DROP_TABLE_TAG)
        for tag in _SHAPING_TABLES:
            drop.add(_table_tag(tag))
        small = uharfbuzz.subset(parsed.face, subset_input)
        font.ttfont = TTFont(BytesIO(small.blob.data), recalcBBoxes=False, recalcTimestamp=False)


def _table_tag(tag: str) -> int:
    return int.from_bytes(tag.encode("ascii"), "big")


# --- layout -------------------------------------------------------------------------------


class _PageFontFirst(FPDF):
    """fpdf2 with its page's font set before a line of text is drawn.

    fpdf2 2.8 sets a page's font lazily, with the first line drawn after `set_font`. When
    that line starts in the fallback font (an English name opening a Hindi paragraph), it
    puts the font inside the line and marks the page's font as set; if the line is then
    wrapped in q ... Q (a colour of its own), the font is lost with the Q, and a later line
    that does not name its font is drawn with none: it comes out as garbage or not at all.
    Setting the page's font first, outside any line, keeps every line's font true."""

    def _render_styled_text_line(self, *args: Any, **kwargs: Any) -> Any:
        if self.page and not self.current_font_is_set_on_page and self.current_font is not None:
            self._out(self._set_font_for_page(self.current_font, self.font_size_pt))
        return super()._render_styled_text_line(*args, **kwargs)


class _Document(_PageFontFirst):
    """An A4 page whose footer is the layout's small print and "page/pages"."""

    footer_text = ""
    footer_height = 8.0

    def footer(self) -> None:
        family = _body_family(self)
        top = PAGE_HEIGHT - self.footer_height
        self.set_draw_color(*MUTED)
        self.set_line_width(0.2)
        self.set_dash_pattern()
        self.line(MARGIN, top + 2, PAGE_WIDTH - MARGIN, top + 2)
        self.set_font(family, "", FOOTER_SIZE)
        self.set_text_color(*MUTED)
        if self.footer_text:
            self.set_xy(MARGIN, top + 3.5)
            self.multi_cell(FOOTER_TEXT_WIDTH, FOOTER_LINE, self.footer_text, align="L")
        self.set_xy(PAGE_WIDTH - MARGIN - 14, top + 3.5)
        # {nb} is fpdf2's alias for the number of pages, filled in when the file is written.
        self.cell(14, FOOTER_LINE, f"{self.page_no()}/{{nb}}", align="R")


def _new_document(layout: Layout) -> _Document:
    pdf = _Document(orientation="portrait", unit="mm", format="A4")
    pdf.footer_text = layout.footer
    pdf.set_margins(MARGIN, TOP_MARGIN, MARGIN)
    pdf.set_title(layout.title)
    pdf.set_author(layout.office)
    pdf.set_creator("Seva")
    pdf.set_lang(layout.language)
    _add_fonts(pdf)
    body, fallback = (DEVANAGARI, LATIN) if layout.language == "hi" else (LATIN, DEVANAGARI)
    pdf.set_fallback_fonts([fallback])
    pdf.set_text_shaping(True)
    pdf.set_font(body, size=10)
    pdf.set_text_color(*INK)
    pdf.add_page()
    return pdf


def _body_family(pdf: FPDF) -> str:
    return str(pdf.font_family)


def _write_header(pdf: FPDF, layout: Layout) -> None:
    family = _body_family(pdf)
    pdf.set_font(family, "B", 12.5)
    pdf.multi_cell(0, 6.5, layout.authority, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(family, "", 10.5)
    pdf.multi_cell(0, 5.5, layout.office, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    rule_y = pdf.get_y() + 3
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.6)
    pdf.line(MARGIN, rule_y, PAGE_WIDTH - MARGIN, rule_y)
    pdf.set_line_width(0.2)
    pdf.line(MARGIN, rule_y + 1.1, PAGE_WIDTH - MARGIN, rule_y + 1.1)
    pdf.set_y(rule_y + 7)

    pdf.set_font(family, "B", 18)
    pdf.multi_cell(0, 9, layout.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    _write_number_and_date(pdf, layout)
    pdf.ln(6)


def _write_number_and_date(pdf: FPDF, layout: Layout) -> None:
    """ "Certificate No.: X" on the left and "Date of issue: Y" on the right of one line
    (the date goes to the next line when both do not fit)."""
    family = _body_family(pdf)
    number = ((f"{layout.number_label}: ", ""), (layout.number, "B"))
    date = ((f"{layout.date_label}: ", ""), (layout.date, "B"))
    width = PAGE_WIDTH - 2 * MARGIN
    number_width = _runs_width(pdf, family, number)
    date_width = _runs_width(pdf, family, date)
    _write_runs(pdf, family, number, x=MARGIN)
    if number_width + date_width + 8 > width:
        pdf.ln(6)
    _write_runs(pdf, family, date, x=PAGE_WIDTH - MARGIN - date_width)
    pdf.ln(6)


def _runs_width(pdf: FPDF, family: str, runs: Sequence[tuple[str, str]]) -> float:
    total = 0.0
    for text, style in runs:
        pdf.set_font(family, style, 10.5)
        total += pdf.get_string_width(text)
    return total


def _write_runs(pdf: FPDF, family: str, runs: Sequence[tuple[str, str]], *, x: float) -> None:
    pdf.set_x(x)
    for text, style in runs:
        pdf.set_font(family, style, 10.5)
        pdf.cell(pdf.get_string_width(text), 6, text)


def _write_block(pdf: FPDF, block: Block) -> None:
    family = _body_family(pdf)
    if block.kind == "heading":
        pdf.ln(2)
        pdf.set_font(family, "B", 12)
        pdf.multi_cell(0, 7, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    elif block.kind == "paragraph":
        pdf.set_font(family, "", 11)
        pdf.multi_cell(0, 6.2, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
    elif block.kind == "facts":
        _write_facts(pdf, family, block.facts)
    else:
        raise ValueError(f"Unknown block kind {block.kind!r}")


def _write_facts(pdf: FPDF, family: str, facts: Sequence[Fact]) -> None:
    if not facts:
        return
    pdf.set_font(family, "", 10.5)
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.2)
    label_style = FontFace(emphasis="BOLD", fill_color=LABEL_FILL)
    with pdf.table(
        col_widths=(2, 3),
        first_row_as_headings=False,
        text_align=("LEFT", "LEFT"),
        v_align="TOP",
        line_height=5.6,
        padding=(1.6, 2.2),
    ) as table:
        for fact in facts:
            row = table.row()
            row.cell(fact.label, style=label_style)
            row.cell(fact.value)
    pdf.ln(4)


def _write_closing(
    pdf: FPDF, layout: Layout, *, footer_height: float
) -> tuple[float, float, float, float]:
    """The QR code and the verification note at the bottom left, the signature box at the
    bottom right, on the last page (a new one when the body ran into their place)."""
    family = _body_family(pdf)
    note_width = PAGE_WIDTH - 2 * MARGIN - SIGNATURE_BOX_WIDTH - 10
    pdf.set_font(family, "", 8)
    note_height = _text_height(pdf, note_width, 3.8, layout.verify_note)
    bottom = PAGE_HEIGHT - footer_height - 4
    qr_bottom = bottom - note_height - (1.5 if note_height else 0)
    qr_top = qr_bottom - QR_SIZE
    box_x = PAGE_WIDTH - MARGIN - SIGNATURE_BOX_WIDTH
    box_y = qr_bottom - SIGNATURE_BOX_HEIGHT
    label_y = box_y - 6
    top = min(qr_top if layout.qr_text else qr_bottom, label_y) - 4
    if pdf.get_y() > top:
        pdf.add_page()
    # Everything below is placed at fixed positions within the bottom margin.
    pdf.set_auto_page_break(False)

    if layout.qr_text:
        image = BytesIO(qr_png(layout.qr_text, scale=4, border=0))
        pdf.image(image, x=MARGIN, y=qr_top, w=QR_SIZE, h=QR_SIZE)
    if layout.verify_note:
        pdf.set_font(family, "", 8)
        pdf.set_text_color(*MUTED)
        pdf.set_xy(MARGIN, qr_bottom + 1.5)
        pdf.multi_cell(note_width, 3.8, layout.verify_note, align="L")
        pdf.set_text_color(*INK)

    pdf.set_font(family, "B", 9.5)
    pdf.set_xy(box_x, label_y)
    pdf.cell(SIGNATURE_BOX_WIDTH, 5, layout.signature_label)
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.25)
    pdf.set_dash_pattern(dash=1.2, gap=1.2)
    pdf.rect(box_x, box_y, SIGNATURE_BOX_WIDTH, SIGNATURE_BOX_HEIGHT)
    pdf.set_dash_pattern()

    return (
        round(box_x * POINTS_PER_MM, 2),
        round((PAGE_HEIGHT - box_y - SIGNATURE_BOX_HEIGHT) * POINTS_PER_MM, 2),
        round((box_x + SIGNATURE_BOX_WIDTH) * POINTS_PER_MM, 2),
        round((PAGE_HEIGHT - box_y) * POINTS_PER_MM, 2),
    )


def _footer_height(pdf: FPDF, footer: str) -> float:
    if not footer:
        return 8.0
    family = pdf.font_family
    style = pdf.font_style
    size = pdf.font_size_pt
    pdf.set_font(family, "", FOOTER_SIZE)
    height = _text_height(pdf, FOOTER_TEXT_WIDTH, FOOTER_LINE, footer)
    pdf.set_font(family, style, size)
    return height + 8.0


def _text_height(pdf: FPDF, width: float, line_height: float, text: str) -> float:
    """How tall `text` wraps to in the current font, without writing it."""
    if not text:
        return 0.0
    height = pdf.multi_cell(width, line_height, text, dry_run=True, output="HEIGHT")
    assert isinstance(height, float | int)
    return float(height)
