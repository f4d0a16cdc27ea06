"""The console: aiohttp pages, the JSON API under /api/ and the live websocket."""
