"""One pooled session per event loop; a new loop never inherits a dead loop's session."""

from __future__ import annotations

import asyncio

from aigw import upstream


def test_each_loop_gets_its_own_live_session_and_dead_loops_are_forgotten():
    async def grab():  # noqa: ANN202
        first = upstream.session()
        assert upstream.session() is first  # reused within the loop
        return asyncio.get_running_loop(), first

    loop_a, a = asyncio.run(grab())
    loop_b, b = asyncio.run(grab())  # a new loop, possibly at the same address as the old one
    assert a is not b
    assert (loop_a, False) not in upstream._sessions and upstream._sessions[(loop_b, False)] is b


def test_user_configured_destinations_get_their_own_policy_session():
    async def grab():  # noqa: ANN202
        return upstream.session(), upstream.session(egress=True)

    plain, guarded = asyncio.run(grab())
    assert plain is not guarded
