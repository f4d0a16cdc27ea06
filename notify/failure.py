"""What a failed send means for the notification: try again later, or refused for good."""
from __future__ import annotations


class SendFailed(Exception):
    """A send that did not go out. `permanent`: the server refused this message or recipient for good
    (it is marked failed, never retried); otherwise it waits and is retried. `server_down`: the server
    could not be reached at all, so the other messages for it in this pass wait too."""

    def __init__(self, reason: str, permanent: bool = False, server_down: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.permanent, self.server_down = reason, permanent, server_down
