"""The tongdai engine: wires the site's parts together in one asyncio process."""
from __future__ import annotations

import asyncio
import logging

from agi_scripts.server import FastAgiServer
from ivr import flows
from tongdai.config import Site

log = logging.getLogger("tongdai.engine")


class Engine:
    def __init__(self, site: Site):
        self.site = site
        self.agi = FastAgiServer({"ivr": flows.greeting}, site.paths.sounds, "127.0.0.1", site.ports.agi)

    async def start(self) -> None:
        await self.agi.start()

    async def close(self) -> None:
        await self.agi.close()


async def serve(site: Site, stop: asyncio.Event) -> None:
    """Run the engine until `stop` is set."""
    engine = Engine(site)
    await engine.start()
    try:
        await stop.wait()
    finally:
        await engine.close()
