"""Hostile bytes and files: the FastAGI reader, the AGI answer parser and the TOML loaders are
fuzzed (hypothesis). They may refuse, with their own error; they never crash or hang."""
from __future__ import annotations

import asyncio
import tomllib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agi_scripts.protocol import AgiChannel, AgiCommandError, BadHeader, CallHangup, Environment, read_environment
from ivr.menu import load_menu
from tests.harness.site import dump
from config import DEMO_SITE, ConfigError, load_site

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
GOOD_HEADER = b"agi_network: yes\nagi_network_script: ivr\nagi_uniqueid: 1.1\nagi_callerid: 0905\n\n"
lines = st.lists(st.one_of(st.binary(max_size=200), st.sampled_from(
    [b"agi_network_script: ivr", b"agi_callerid: \"x\" <1>", b"", b"HANGUP", b"agi_", b":", b"\xff\xfe"])),
    max_size=80)


def _reader(data: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=4096)
    reader.feed_data(data)
    reader.feed_eof()
    return reader


@FUZZ
@given(lines)
def test_environment_reader_refuses_or_reads(parts):
    async def go():
        try:
            env = await asyncio.wait_for(read_environment(_reader(b"\n".join(parts) + b"\n"), timeout=1), 3)
        except BadHeader:
            return
        assert env["agi_network_script"] is not None or env["agi_request"] is not None
    asyncio.run(go())


class _Sink:
    def write(self, data):
        pass

    async def drain(self):
        pass

    def close(self):
        pass

    async def wait_closed(self):
        pass


answers = st.lists(st.one_of(st.text(max_size=120), st.sampled_from(
    ["200 result=1", "200 result=-1 endpos=0", "HANGUP", "511 Command Not Permitted on a dead channel",
     "510 Invalid or unknown command", "520-Invalid command syntax.", "520 End of proper usage.",
     "200 result=0 (timeout)", "200 result=", "200 result=-2", "200 result=1 (Nguyễn)"])), max_size=6)


@FUZZ
@given(answers)
def test_command_answers_give_a_reply_or_one_of_our_errors(replies):
    async def go():
        data = "".join(r.replace("\n", " ") + "\n" for r in replies).encode("utf-8", "surrogatepass")
        channel = AgiChannel(_reader(data), _Sink(), Environment({"agi_uniqueid": "1.1"}))
        try:
            reply = await asyncio.wait_for(channel.send("ANSWER"), 3)
        except (CallHangup, AgiCommandError):
            return
        assert reply.code == 200
    asyncio.run(go())


site_text = DEMO_SITE.read_text(encoding="utf-8")


@st.composite
def mutated_site(draw):
    """The demo site with some values replaced by hostile ones, or random text."""
    if draw(st.booleans()):
        return draw(st.text(max_size=400))
    data = tomllib.loads(site_text)
    tables = [k for k, v in data.items() if isinstance(v, dict)]
    for _ in range(draw(st.integers(1, 4))):
        table = draw(st.sampled_from(tables))
        key = draw(st.one_of(st.sampled_from(sorted(data[table]) or ["x"]), st.text(min_size=1, max_size=10)))
        data[table][key] = draw(st.one_of(st.integers(-10**6, 10**6), st.text(max_size=30), st.booleans(),
                                          st.lists(st.text(max_size=5), max_size=3)))
    return dump(data)


@FUZZ
@given(mutated_site())
def test_site_loader_refuses_with_a_config_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("site") / "site.toml"
    path.write_text(text, encoding="utf-8")
    try:
        site = load_site(path)
    except ConfigError as e:
        assert str(path) in str(e)
        return
    try:
        load_menu(site)
    except ConfigError:
        pass


json_values = st.recursive(st.none() | st.booleans() | st.integers(-10**9, 10**9) | st.text(max_size=50),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                        max_size=3), max_leaves=8)


@FUZZ
@given(st.dictionaries(st.sampled_from(["field", "summary", "priority", "status", "owner", "csrf", "area", "address",
                                        "caller_name", "outcome"]), json_values, max_size=5))
def test_ticket_edits_are_accepted_or_refused_with_a_clear_400(body):
    from aiohttp import web
    from config.site_file import DEMO_SITE, load_site
    from web.tickets import _changes
    site = _demo_site(DEMO_SITE, load_site)
    fields, areas = {f.key for f in site.fields}, {a.key for a in site.areas}
    try:
        changes = _changes(body, site)
    except web.HTTPBadRequest as e:
        assert e.status == 400 and '"error"' in e.text
        return
    assert set(changes) <= {"field", "summary", "priority", "status", "area", "address", "caller_name", "outcome"}
    assert changes.get("field", "trees") in fields and 1 <= changes.get("priority", 3) <= 5
    assert changes.get("area", "hai_chau") in areas | {None}  # None clears it


_sites: dict = {}


def _demo_site(path, load):
    if path not in _sites:
        _sites[path] = load(path)
    return _sites[path]
