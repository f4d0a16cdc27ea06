"""The live websocket: a screen-pop goes to the answering agent only, the wallboard to supervisors."""
from __future__ import annotations

import asyncio
import json

import pytest

from tests.harness.console import ServedConsole


async def _next(ws, kind: str, timeout: float = 3) -> dict:
    while True:
        message = json.loads((await asyncio.wait_for(ws.receive(), timeout)).data)
        if message["type"] == kind:
            return message


async def test_pop_reaches_only_the_agent_who_answered(tmp_path):
    async with ServedConsole(tmp_path) as served:
        c = served.console
        await c.book.start()
        c.hub.start()
        ticket = c.book.open("u-live-1", "0905000111", "Trần Thị B")
        ticket.event("menu", menu="main", digit="2", choice="menu", to="report")
        ticket.event("menu", menu="report", digit="5", choice="report")
        ticket.update(kind="report", field="water")
        lan, minh, hoa = [await served.logged_in(u) for u in ("lan", "minh", "hoa")]
        ws_lan, ws_minh, ws_hoa = [await cl.http.ws_connect(f"{served.base}/ws") for cl in (lan, minh, hoa)]
        assert (await _next(ws_lan, "state"))["state"] == "logged_out"
        await _next(ws_minh, "state")
        assert [q["queue"] for q in (await _next(ws_hoa, "wallboard"))["queues"]] == ["operator", "admin", "incidents"]

        c.hub.on_ami("AgentConnect", {"Event": "AgentConnect", "MemberName": "101", "Uniqueid": "u-live-1",
                                      "Queue": "incidents", "HoldTime": "7"})
        pop = (await _next(ws_lan, "pop"))["ticket"]
        assert (pop["code"], pop["caller_number"], pop["field"]) == (ticket.code, "0905000111", "water")
        assert (pop["ivr_path"], pop["wait_s"], pop["queue"]) == (["main 2", "report 5"], 7, "incidents")
        with pytest.raises(asyncio.TimeoutError):
            await _next(ws_minh, "pop", timeout=1)
        await _next(ws_hoa, "wallboard")  # the board is pushed again after the event
        for ws in (ws_lan, ws_minh, ws_hoa):
            await ws.close()
        await c.book.close()


async def test_websocket_from_another_site_is_refused(tmp_path):
    async with ServedConsole(tmp_path) as served:
        cl = await served.logged_in("hoa")
        async with cl.http.get(f"{served.base}/ws", headers={"Origin": "http://evil.example", "Upgrade": "websocket",
                                                              "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                                                              "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}) as r:
            assert r.status == 403
