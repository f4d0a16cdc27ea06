"""What one ticket's printable record says, already worded in the reader's language (web/ fills
it, `exports.ticket_pdf` lays it out). Apart from the PDF library: the console imports this at
start, and fpdf (some 30 MB) only when a record is first printed."""
from __future__ import annotations

from dataclasses import dataclass, field

Facts = list[tuple[str, str]]  # (label, value), values already "—" when empty


@dataclass(frozen=True)
class RecordAssignment:
    heading: str  # e.g. "1. Ủy ban nhân dân quận Hải Châu"
    facts: Facts
    answer_label: str
    answer: str | None  # the agency's answer in full


@dataclass(frozen=True)
class TicketRecord:
    title: str  # "Hồ sơ xử lý phiếu 1022-261126-0101"
    subtitle: str  # the hotline and province
    facts: Facts
    assignments_heading: str
    assignments: list[RecordAssignment]
    no_assignments: str
    timeline_heading: str
    timeline_columns: tuple[str, str]  # ("Thời gian", "Diễn biến")
    timeline: list[tuple[str, str]]  # (dd/mm/yyyy HH:mm, sentence)
    no_events: str
    footer: str  # who exported it and when
    page_word: str = "Trang"  # "Trang 1/3"
    keywords: list[str] = field(default_factory=list)
