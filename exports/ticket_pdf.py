"""One ticket's whole processing record as a printable A4 PDF: the header facts, each forward to
an agency with its deadline, states, review and answer, and the timeline as sentences with who
and when. The caller (web/) gives every text already worded in the reader's language; this
module only lays it out, in DejaVu Sans (shipped beside it: every Vietnamese letter has a glyph).
"""
from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from exports.ticket_record import Facts, RecordAssignment, TicketRecord

__all__ = ["Facts", "RecordAssignment", "TicketRecord", "render"]

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"
GREY = (90, 90, 90)
HEAD_FILL = (230, 236, 245)

class _Pdf(FPDF):
    def __init__(self, footer_text: str, page_word: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text, self.page_word = footer_text, page_word

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=8)
        self.set_text_color(*GREY)
        self.cell(0, 5, self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"{self.page_word} {self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0, 0, 0)


def _heading(pdf: FPDF, text: str, size: float = 12) -> None:
    pdf.ln(3)
    pdf.set_font(FAMILY, "B", size)
    pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=10)


def _facts(pdf: FPDF, facts: Facts) -> None:
    if not facts:
        return
    with pdf.table(col_widths=(32, 68), text_align="LEFT", v_align="TOP", first_row_as_headings=False,
                   line_height=5.5, borders_layout="HORIZONTAL_LINES", padding=1) as table:
        for label, value in facts:
            row = table.row()
            row.cell(label, style=FontFace(emphasis="BOLD"))
            row.cell(value or "—")


def render(record: TicketRecord) -> bytes:
    pdf = _Pdf(record.footer, record.page_word)
    pdf.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(record.title)
    pdf.set_creator("tongdai")
    if record.keywords:
        pdf.set_keywords(" ".join(record.keywords))
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 15)
    pdf.multi_cell(0, 7, record.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=10)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(0, 5, record.subtitle, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    _facts(pdf, record.facts)

    _heading(pdf, record.assignments_heading)
    if not record.assignments:
        pdf.multi_cell(0, 5, record.no_assignments, new_x="LMARGIN", new_y="NEXT")
    for a in record.assignments:
        _heading(pdf, a.heading, 11)
        _facts(pdf, a.facts + [(a.answer_label, a.answer or "—")])

    _heading(pdf, record.timeline_heading)
    if not record.timeline:
        pdf.multi_cell(0, 5, record.no_events, new_x="LMARGIN", new_y="NEXT")
    else:
        with pdf.table(col_widths=(24, 76), text_align="LEFT", v_align="TOP", line_height=5.5, padding=1,
                       headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL),
                       borders_layout="HORIZONTAL_LINES") as table:
            head = table.row()
            for text in record.timeline_columns:
                head.cell(text)
            for when, text in record.timeline:
                row = table.row()
                row.cell(when)
                row.cell(text)
    return bytes(pdf.output())
