"""The console's and the portal's rate limiter, without a server."""
from web.guard import RateLimiter


def test_a_success_gives_back_only_its_own_reservation():
    limiter = RateLimiter(limit=2, window=300)
    assert limiter.reserve(("address:a", 2))[0] == 0
    wait, stamp = limiter.reserve(("address:a", 2), ("code:x", 2))
    assert wait == 0
    limiter.succeeded(stamp)
    assert len(limiter.attempts["address:a"]) == 1 and "code:x" not in limiter.attempts
    assert limiter.reserve(("address:a", 2))[0] == 0
    assert limiter.reserve(("address:a", 2))[0] > 0  # two counted: the third waits


def test_keys_of_the_past_are_forgotten():
    limiter = RateLimiter(limit=5, window=0.0)  # every reservation is already outside the window
    for i in range(1000):
        limiter.reserve((f"code:{i}", 5))
    assert len(limiter.attempts) <= 1 and len(limiter.held) <= 1
