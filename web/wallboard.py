"""The supervisor wallboard's routes: its picture (`web.board`) and listen / whisper / barge."""
from __future__ import annotations

from aiohttp import web

from acd.ami import AmiError
from acd.desk import DeskError
from acd import supervision
from web.board import snapshot
from web.context import USER, console
from web.guard import allow, body, fail

@allow("supervisor", "leader")
async def get_wallboard(request: web.Request) -> web.Response:
    return web.json_response(await snapshot(console(request)))


@allow("supervisor")
async def supervise(request: web.Request) -> web.Response:
    """Listen, whisper or barge from the supervisor's own phone (admins name a seat)."""
    c, user = console(request), request[USER]
    data = await body(request)
    mode, agent_no = data.get("mode"), str(data.get("agent", ""))
    seat = user.extension or str(data.get("seat", ""))
    if not seat.isdigit():
        raise fail(400, "seat: your supervisor seat number (e.g. 201)", code="not_supervisor_seat")
    if int(seat) not in c.site.supervisors.extensions:
        raise fail(400, f"seat: {seat} is not a supervisor seat of this site", code="not_supervisor_seat")
    try:
        agent = await c.acd.desk.agent(agent_no)
        audit = await supervision.spy(c.acd.ami, c.db, seat, agent, str(mode), "console", user.username)
    except (DeskError, supervision.SupervisionError) as e:
        status = 404 if "no such" in str(e) else 409 if "not logged in" in str(e) else 400
        code = {404: "not_an_agent", 409: "spy_not_logged_in"}.get(status, "spy_refused")
        raise fail(status, str(e), code=code, agent=agent_no) from None
    except AmiError as e:
        raise fail(502, f"Asterisk: {e}", code="asterisk") from None
    return web.json_response({"audit": audit, "mode": mode, "agent": agent.extension, "seat": seat,
                              "message": f"your phone (supervisor{seat}) rings: answer it to {mode}"}, status=201)


def routes() -> list[web.RouteDef]:
    return [web.get("/api/wallboard", get_wallboard), web.post("/api/supervise", supervise)]
