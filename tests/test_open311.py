"""Open311 GeoReport v2 on the portal: a province's back office posts a service request with its
API key and reads it back (open, with an expected date, nothing personal); refusals carry the
spec's error body; `tongdai apikeys` issues, lists and revokes keys; the pure reading and
writing of the format (open311_format) on its own."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.agency_models import Assignment
from db.api_key_models import ApiKey
from db.clock import utcnow
from db.models import Ticket
from db.publication_models import Publication
from db.queries import agencies as agency_db
from db.queries import api_keys, case_lookup
from db.queries.open311_requests import Forward, PublicRequest
from portal import open311
from portal import open311_format as fmt
from tests.harness.cli import cli
from tests.harness.portal import ServedPortal
from tests.harness.site import make_site

V2 = "/open311/v2"
PERSONAL = ("citizen@example.com", "0905 123 456", "0905123456", "+84 905 123 456", "905 123 456", "Nguyễn", "Văn An",
            "Nguyen Van An")
POST = {"service_code": "lighting", "lat": "16.067812", "long": "108.220834",
        "address_string": "12 Lê Duẩn, Hải Châu", "attribute[area]": "hai_chau",
        "description": "Đèn đường hỏng trước nhà anh Nguyễn Văn An, gọi 0905 123 456 hoặc citizen@example.com",
        "email": "citizen@example.com", "phone": "+84 905 123 456", "first_name": "Văn An", "last_name": "Nguyễn",
        "media_url": "https://backoffice.example.vn/photos/42.jpg"}


async def _post(http, data: dict[str, str], suffix: str = "json"):
    async with http.post(f"{V2}/requests.{suffix}", data=data) as r:
        return r.status, await r.read(), r.headers


async def test_a_client_posts_a_request_and_reads_it_back_open_with_an_expected_date(tmp_path):
    async with ServedPortal(tmp_path) as served:
        key = api_keys.add(served.db, "sotnmt-backoffice")
        http = served.client()
        status, body, _ = await _post(http, {**POST, "api_key": key})
        assert status == 201, body
        [posted] = json.loads(body)
        code = posted["service_request_id"]
        assert posted["account_id"] is None and "Thời hạn xử lý" in posted["service_notice"]
        with Session(served.db) as s:  # a web ticket waiting for triage, the contact kept internally
            t = s.scalar(select(Ticket).where(Ticket.code == code))
            assert (t.kind, t.status, t.field, t.area, t.address) == ("web", "new", "lighting", "hai_chau",
                                                                      "12 Lê Duẩn, Hải Châu")
            assert t.map_point == "16.067812,108.220834" and t.caller_name == "Nguyễn Văn An"
            assert (t.contact_phone, t.contact_email, t.consent) == ("0905123456", "citizen@example.com", True)
            assert s.scalar(select(ApiKey.last_used_at).where(ApiKey.name == "sotnmt-backoffice")) is not None
        # the citizen follows it on the portal's lookup like a report from the form
        assert case_lookup.find(served.db, code, case_lookup.Proof(digits="456"), utcnow()) is not None

        async with http.get(f"{V2}/requests/{code}.json") as r:
            assert r.status == 200 and r.content_type == "application/json"
            text = await r.text()
        [got] = json.loads(text)
        assert got["status"] == "open" and got["service_code"] == "lighting"
        assert got["service_name"] == "Chiếu sáng công cộng" and got["address"] == "Quận Hải Châu"
        assert (got["lat"], got["long"]) == (16.068, 108.221)  # about 100 m, never the doorstep
        assert got["media_url"] == POST["media_url"]
        assert "đang chờ phân loại" in got["status_notes"]
        expected = datetime.fromisoformat(got["expected_datetime"])
        requested = datetime.fromisoformat(got["requested_datetime"])
        assert expected.utcoffset() == timedelta(hours=7) and expected > requested
        assert "Đèn đường hỏng" in got["description"] and "[đã ẩn]" in got["description"]
        async with http.get(f"{V2}/requests.json", params={"status": "open", "service_code": "lighting"}) as r:
            listed = await r.text()
        assert [x["service_request_id"] for x in json.loads(listed)] == [code]
        async with http.get(f"{V2}/requests/{code}.json", params={"lang": "en"}) as r:
            english = await r.text()
        assert json.loads(english)[0]["service_name"] == "Public lighting"
        for public_text in (text, listed, english):  # no personal data given at POST comes back
            for personal in PERSONAL:
                assert personal not in public_text, personal
            assert "Lê Duẩn" not in public_text and "16.067812" not in public_text


async def test_a_forwarded_request_names_the_agency_and_its_deadline(tmp_path):
    async with ServedPortal(tmp_path) as served:
        key = api_keys.add(served.db, "backoffice")
        agency_db.sync(served.db, served.site.agencies)
        http = served.client()
        _, body, _ = await _post(http, {**POST, "api_key": key})
        code = json.loads(body)[0]["service_request_id"]
        deadline = (utcnow() + timedelta(days=3)).replace(microsecond=0)
        with Session(served.db) as s, s.begin():
            t = s.scalar(select(Ticket).where(Ticket.code == code))
            t.status = "forwarded"
            s.add(Assignment(ticket_id=t.id, agency="so_xay_dung", created_at=utcnow(), created_by="hoa",
                             deadline_at=deadline))
        async with http.get(f"{V2}/requests/{code}.xml") as r:
            assert r.status == 200 and r.content_type == "text/xml"
            root = ET.fromstring(await r.read())
        request = root.find("request")
        assert root.tag == "service_requests" and request is not None
        name = next(a.name for a in served.site.agencies.agencies if a.key == "so_xay_dung")
        local = deadline.replace(tzinfo=UTC).astimezone(ZoneInfo(served.site.timezone))
        assert request.findtext("status") == "open" and request.findtext("agency_responsible") == name
        assert request.findtext("status_notes") == f"Đã chuyển cơ quan: {name}, hạn {local:%d/%m/%Y %H:%M}"
        assert datetime.fromisoformat(request.findtext("expected_datetime") or "") == local
        with Session(served.db) as s, s.begin():
            s.scalar(select(Ticket).where(Ticket.code == code)).status = "resolved"
        async with http.get(f"{V2}/requests.json", params={"status": "closed"}) as r:
            [closed] = await r.json()
        assert closed["service_request_id"] == code and closed["status"] == "closed"
        with Session(served.db) as s, s.begin():  # the supervisor's public summary replaces the citizen's text
            t = s.scalar(select(Ticket).where(Ticket.code == code))
            s.add(Publication(ticket_id=t.id, hidden=False, summary="Đèn đường hỏng trên đường Lê Duẩn",
                              updated_at=utcnow(), updated_by="hoa"))
        async with http.get(f"{V2}/requests/{code}.json") as r:
            assert (await r.json())[0]["description"] == "Đèn đường hỏng trên đường Lê Duẩn"
        with Session(served.db) as s, s.begin():  # and a case hidden from the public is not there at all
            s.scalar(select(Publication)).hidden = True
        async with http.get(f"{V2}/requests/{code}.json") as r:
            assert r.status == 404
        async with http.get(f"{V2}/requests.json") as r:
            assert await r.json() == []


async def test_refusals_carry_the_georeport_error_body(tmp_path):
    async with ServedPortal(tmp_path) as served:
        key = api_keys.add(served.db, "backoffice")
        http = served.client()

        async def refused(data: dict[str, str], status: int, words: str, suffix: str = "json") -> None:
            got, body, _ = await _post(http, data, suffix)
            if suffix == "xml":
                error = ET.fromstring(body).find("error")
                assert error is not None and error.findtext("code") == str(status)
                assert words in (error.findtext("description") or "")
            else:
                [error] = json.loads(body)
                assert error["code"] == status and words in error["description"], error
            assert got == status

        await refused(POST, 403, "api_key: required")
        await refused({**POST, "api_key": "td311_not-a-key"}, 403, "api_key: invalid")
        await refused({**POST, "api_key": key, "service_code": "potholes"}, 400, "service_code 'potholes'")
        await refused({**POST, "api_key": key, "service_code": "potholes"}, 400, "not found", "xml")
        no_place = {k: v for k, v in POST.items() if k not in ("lat", "long", "address_string")}
        await refused({**no_place, "api_key": key}, 400, "a location is required")
        await refused({**POST, "api_key": key, "lat": "1000"}, 400, "lat -90..90")
        await refused({**POST, "api_key": key, "attribute[area]": "atlantis"}, 400, "unknown area")
        api_keys.revoke(served.db, "backoffice")
        await refused({**POST, "api_key": key}, 403, "api_key: revoked")
        with Session(served.db) as s:
            assert s.scalar(select(Ticket.id)) is None  # nothing refused became a ticket
        for path, status in ((f"{V2}/requests/1022-000000-0000.json", 404), (f"{V2}/requests.csv", 400),
                             (f"{V2}/requests.json?status=pending", 400), (f"{V2}/requests.json?start_date=May", 400)):
            async with http.get(path) as r:
                [error] = await r.json()
                assert r.status == status and error["code"] == status, (path, error)


async def test_wrong_keys_are_rate_limited_per_address(tmp_path):
    async with ServedPortal(tmp_path) as served:
        http = served.client()
        statuses = []
        for i in range(fmt_guesses() + 1):
            status, _, headers = await _post(http, {**POST, "api_key": f"td311_guess{i}"})
            statuses.append(status)
        assert statuses[:-1] == [403] * fmt_guesses() and statuses[-1] == 429
        assert int(headers["Retry-After"]) > 0


def fmt_guesses() -> int:
    return open311.GUESSES[0]


async def test_services_are_the_sites_fields(tmp_path):
    async with ServedPortal(tmp_path) as served:
        http = served.client()
        async with http.get(f"{V2}/services.json") as r:
            listed = await r.json()
        assert [s["service_code"] for s in listed] == [f.key for f in served.site.fields]
        lighting = next(s for s in listed if s["service_code"] == "lighting")
        assert lighting["service_name"] == "Chiếu sáng công cộng" and lighting["metadata"] is False
        assert lighting["type"] == "realtime" and lighting["group"] == "Sự cố"
        async with http.get(f"{V2}/services.xml", params={"lang": "en"}) as r:
            root = ET.fromstring(await r.read())
        assert root.tag == "services" and "Public lighting" in [s.findtext("service_name") for s in root]
        async with http.get(f"{V2}/services/lighting.json") as r:
            assert await r.json() == {"service_code": "lighting", "attributes": []}


def test_the_cli_adds_lists_and_revokes_keys(tmp_path):
    site = make_site(tmp_path)
    added = cli(site, "apikeys", "add", "sotnmt-backoffice")
    key = added.stdout.split()[-1]
    assert key.startswith("td311_") and "shown once" in added.stdout
    listed = cli(site, "apikeys", "list").stdout
    assert "sotnmt-backoffice" in listed and "active" in listed and key not in listed
    again = cli(site, "apikeys", "add", "sotnmt-backoffice", check=False)
    assert again.returncode == 2 and "exists" in again.stderr
    bad = cli(site, "apikeys", "add", "Sở TNMT", check=False)
    assert bad.returncode == 2 and "bad client name" in bad.stderr
    cli(site, "apikeys", "revoke", "sotnmt-backoffice")
    assert "revoked" in cli(site, "apikeys", "list").stdout
    twice = cli(site, "apikeys", "revoke", "sotnmt-backoffice", check=False)
    assert twice.returncode == 2 and "already revoked" in twice.stderr
    from db import store
    db = store.connect(site.paths.database_url)
    try:
        found = api_keys.identify(db, key)
        assert found is not None and not found.active  # the key printed is the key stored (hashed)
        with Session(db) as s:
            assert s.scalar(select(ApiKey.key_hash)) == api_keys.digest(key)
    finally:
        db.dispose()


# --- the format on its own ---------------------------------------------------------------------

def _request(status: str = "open", forwards: tuple[Forward, ...] = (), field: str = "lighting") -> PublicRequest:
    at = datetime(2026, 12, 3, 2, 15)  # 09:15 in Vietnam
    return PublicRequest("1022-261203-0042", field, "hai_chau", status, "Đèn hỏng, gọi 0905.123.456 (chị Lan)",
                         at, at, "16.067812,108.220834", None, forwards, ("Trần Thị Lan",))


def test_the_format_builds_public_views_without_personal_data(tmp_path):
    site = make_site(tmp_path, demo_hours=True)
    tz = ZoneInfo(site.timezone)
    now = datetime(2026, 12, 4, 3, 0)
    view = fmt.request_view(site, _request(), "vi", now)
    assert view["requested_datetime"] == "2026-12-03T09:15:00+07:00"
    assert view["description"] == "Đèn hỏng, gọi [đã ẩn] (chị [đã ẩn])"
    assert (view["lat"], view["long"], view["address"]) == (16.068, 108.221, "Quận Hải Châu")
    assert view["expected_datetime"] == "2026-12-08T09:15:00+07:00"  # lighting: 3 working days
    late = Forward("so_xay_dung", "Sở Xây dựng", "in_progress", None, datetime(2026, 12, 3, 10, 0))
    notes = fmt.status_notes(_request("forwarded", (late,)), now, "vi", tz)
    assert notes == "Đã chuyển cơ quan: Sở Xây dựng, hạn 03/12/2026 17:00 (quá hạn)"
    assert fmt.status_notes(_request("forwarded", (late,)), now, "en", tz).startswith("Forwarded to Sở Xây dựng")
    done = Forward("so_xay_dung", "Sở Xây dựng", "closed", "approved", datetime(2026, 12, 3, 10, 0))
    resolved = fmt.request_view(site, _request("resolved", (done,)), "en", now)
    assert resolved["status"] == "closed" and resolved["expected_datetime"] is None
    assert resolved["status_notes"] == "Resolved: answered by Sở Xây dựng"
    assert resolved["agency_responsible"] == "Sở Xây dựng" and "[hidden]" in resolved["description"]


def test_the_format_reads_posts_and_filters(tmp_path):
    site = make_site(tmp_path)
    got = open311.parse_post({"service_code": "water", "address_id": "son_tra", "description": " Mất nước "}, site)
    assert (got.field, got.area, got.address, got.summary, got.map_point) == ("water", "son_tra", None,
                                                                              "Mất nước", None)
    for form, words in (({"service_code": "water", "lat": "16", "description": "x"}, "lat and long"),
                        ({"service_code": "water", "address_string": "x"}, "description: required"),
                        ({"service_code": "water", "address_string": "x", "description": "x" * 4001}, "at most"),
                        ({"service_code": "water", "address_string": "x", "description": "x", "email": "a@"},
                         "email"),
                        ({"address_string": "x", "description": "x"}, "service_code: required")):
        with pytest.raises(fmt.GeoReportError, match=words) as e:
            open311.parse_post(form, site)
        assert e.value.status == 400
    now = datetime(2026, 12, 4, 3, 0)
    default = fmt.parse_filters({}, site, now)
    assert default.start == now - timedelta(days=90) and default.end is None and default.closed is None
    ranged = fmt.parse_filters({"start_date": "2026-12-01T00:00:00+07:00", "end_date": "2026-12-02",
                                "status": "closed", "service_code": "water,trees"}, site, now)
    assert (ranged.start, ranged.end) == (datetime(2026, 11, 30, 17), datetime(2026, 12, 1, 17))
    assert ranged.closed is True and ranged.fields == ("water", "trees")
    ids = fmt.parse_filters({"service_request_id": "a,b", "status": "nonsense"}, site, now)
    assert ids.codes == ("a", "b") and ids.start is None  # the ids override every other filter
    body, kind = fmt.encode("xml", fmt.errors(403, "api_key: invalid"), "errors", "error")
    assert kind == "text/xml" and body.startswith(b"<?xml") and b"<error><code>403</code>" in body
    assert fmt.language({"locale": "en_US"}) == "en" and fmt.language({"lang": "fr"}) == "vi"
