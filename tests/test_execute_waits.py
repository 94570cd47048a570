"""Waiting for a kernel's messages: a lost wake-up costs a second, not the cell's time limit.

The channel below behaves like the one that stalled a class's grading: the reply is there after
0.2 s, but the wait only notices it when its own timeout runs out (pyzmq's last look at the socket).
"""
import asyncio
import time
from queue import Empty

import pytest

from grader.execute import POLL_SLICE, wait_in_slices


class WakeUpLost:
    def __init__(self, arrives_after: float | None):
        self.start = time.monotonic()
        self.arrives_after = arrives_after

    async def get_msg(self, timeout=None):
        await asyncio.sleep(timeout if timeout is not None else 3600)
        if self.arrives_after is not None and time.monotonic() - self.start >= self.arrives_after:
            return {"msg_type": "execute_reply"}
        raise Empty


def waited(channel, timeout) -> tuple[float, object]:
    start = time.monotonic()
    try:
        result = asyncio.run(channel.get_msg(timeout=timeout))
    except Empty as err:
        result = err
    return time.monotonic() - start, result


def test_without_slices_the_wait_lasts_the_whole_timeout():
    seconds, result = waited(WakeUpLost(arrives_after=0.2), timeout=4)
    assert result == {"msg_type": "execute_reply"} and seconds >= 4


@pytest.mark.parametrize("timeout", [4, None])
def test_in_slices_a_lost_wake_up_costs_one_slice(timeout):
    channel = WakeUpLost(arrives_after=0.2)
    wait_in_slices(channel)
    seconds, result = waited(channel, timeout)
    assert result == {"msg_type": "execute_reply"}
    assert seconds <= POLL_SLICE + 0.5


def test_in_slices_a_timeout_still_times_out():
    channel = WakeUpLost(arrives_after=None)
    wait_in_slices(channel)
    seconds, result = waited(channel, timeout=1.5)
    assert isinstance(result, Empty)
    assert 1.5 <= seconds <= 2.0
