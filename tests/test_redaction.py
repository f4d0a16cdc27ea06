"""What a public page may show of a free text (issue 17): Vietnamese phone numbers in every usual
way of writing them, email addresses and the caller's name become "[đã ẩn]" ("[hidden]" in
English); dates, times, ticket codes, house numbers and amounts stay as they were."""
from __future__ import annotations

import pytest

from privacy.redaction import MARKER, fold, redact

H = MARKER["vi"]

PHONES = ["0905123456", "0905 123 456", "0905.123.456", "0905-123-456", "+84905123456", "+84 905 123 456",
          "84905123456", "+84-905-123-456", "0236 3 822 222", "(0236) 3822222", "(0236) 382 2222", "028 3822 2222",
          "02838222222", "0236.3822.222", "+84 236 3822 222", "0123 456 7890", "+84 (0) 905 123 456", "0 905 123 456",
          "0379 888 111", "0868.555.777"]


@pytest.mark.parametrize("number", PHONES)
def test_a_phone_number_is_hidden_however_it_is_written(number):
    for text in (f"Gọi lại cho tôi số {number} nhé.", f"{number}", f"SĐT:{number}, xin cảm ơn",
                 f"({number})", f"số {number} 12 lần"):
        out = redact(text)
        assert H in out and not any(group in out for group in ("905", "3822", "456 7890", "888", "555")), (text, out)


KEPT = ["ngày 12/03/2026 lúc 14:30", "ngày 03.12.2026 10 giờ sáng", "12-03-2026", "phiếu 1022-261203-4701",
        "phiếu 1022261203 4701", "nhà 12 Lê Duẩn", "số 123/45 Nguyễn Văn Linh", "phạt 1.500.000 đồng",
        "dự án 84.500.000.000 đồng", "2.000.000.000 đồng", "500.000đ", "từ 7:30 đến 17:30", "năm 2025-2026",
        "cột đèn số 0012", "kiệt 45 Hàm Nghi, tổ 12", "gọi 1022 hoặc 113, 114, 115", "mã số thuế 0401234567-001",
        "Quốc lộ 1A km 905", "ngày 1/3, 0h30"]


@pytest.mark.parametrize("text", KEPT)
def test_dates_times_codes_house_numbers_and_amounts_stay(text):
    assert redact(text, ["Nguyễn Văn An"]) == text


def test_several_numbers_in_one_text_and_the_rest_left_as_written():
    text = "Anh gọi 0905 123 456 hoặc +84 905 123 457 trước 12/03/2026, phiếu 1022-261203-4701."
    assert redact(text) == f"Anh gọi {H} hoặc {H} trước 12/03/2026, phiếu 1022-261203-4701."


def test_a_date_then_a_number_the_number_still_hidden():
    assert redact("ngày 03.12.2026 0905123456") == f"ngày 03.12.2026 {H}"


def test_emails_are_hidden_whole():
    text = "Liên hệ an.nguyen+1022@gmail.com hoặc lan_tran@danang.gov.vn (0905123456)."
    assert redact(text) == f"Liên hệ {H} hoặc {H} ({H})."
    assert redact("phản ánh@ nơi này") == "phản ánh@ nơi này"  # not an address


def test_the_callers_name_in_any_case_with_or_without_diacritics():
    names = ["Nguyễn Văn An"]
    for written in ("Nguyễn Văn An", "nguyễn văn an", "NGUYỄN VĂN AN", "Nguyen Van An", "nguyen van an",
                    "NGUYEN  VAN\nAN", "Văn An", "van an"):
        assert redact(f"Ông {written} phản ánh cây đổ.", names) == f"Ông {H} phản ánh cây đổ.", written
    # the given name alone, after a form of address and with a capital: how people are named
    assert redact("Anh An cho biết đèn tắt; ông An xác nhận.", names) == f"Anh {H} cho biết đèn tắt; ông {H} xác nhận."
    assert redact("Mr An called.", names) == f"Mr {H} called."
    # the same letters as a word stay: "an toàn" (safe), "bà an tâm" (reassured)
    assert redact("Khu vực an toàn, bà an tâm, ăn uống", names) == "Khu vực an toàn, bà an tâm, ăn uống"
    assert redact("Anninh khu phố", names) == "Anninh khu phố"


def test_a_one_word_name_and_several_names():
    assert redact("Chị Lan ở gần lan can; Lan gọi lại", ["Lan"]) == f"Chị {H} ở gần lan can; {H} gọi lại"
    assert redact("Trần Thị Bích báo, chị Bích và ông Lê Minh", ["Trần Thị Bích", "Lê Minh", None, " "]) == \
        f"{H} báo, chị {H} và ông {H}"
    assert redact("Không có tên", [None, "", "X"]) == "Không có tên"  # nothing, and one letter is no name


def test_english_marker_and_empty_texts():
    assert redact("Call 0905123456", lang="en") == "Call [hidden]"
    assert redact(None) == "" and redact("") == ""


def test_fold_keeps_one_character_for_one():
    text = "Đường Lê Duẩn, Ngũ Hành Sơn"
    assert fold(text) == "duong le duan, ngu hanh son" and len(fold(text)) == len(text)


def test_a_decomposed_name_is_matched_too():
    import unicodedata
    decomposed = unicodedata.normalize("NFD", "Nguyễn Văn An gọi")
    assert redact(decomposed, ["Nguyễn Văn An"]) == f"{H} gọi"
