"""send, receive, send_batch: timeouts, full queues, many coroutines at
once, cancellation, and the loop never blocked while they wait."""
import asyncio
import dataclasses

import pytest

from conftest import echo
from ringkernel import (KernelStateError, QueueFullError, QueueTimeoutError,
                        RingKernelRuntime, message)


@message
class Item:
    value: int


async def test_any_python_object_goes_through_an_actor():
    class Unpicklable:
        def __init__(self):
            self.f = lambda: 1
    objs = [1, "two", {"three": [3]}, Item(value=4), Unpicklable(),
            bytes(1 << 20)]
    async with RingKernelRuntime() as rt:
        await rt.launch("e", echo)
        await rt.activate("e")
        for o in objs:
            await rt.send("e", o)
        for o in objs:
            assert await rt.receive("e", timeout=1.0) is o


async def test_receive_timeout_is_an_asyncio_timeout():
    async with RingKernelRuntime() as rt:
        await rt.launch("e", echo)
        await rt.activate("e")
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises(asyncio.TimeoutError):
            await rt.receive("e", timeout=0.2)
        assert 0.15 < loop.time() - t0 < 3.0    # slack for a loaded machine
        with pytest.raises(QueueTimeoutError):
            await rt.receive("e", timeout=0)


async def test_full_queue_raises_queue_full_after_the_timeout():
    async with RingKernelRuntime(default_queue_size=4) as rt:
        await rt.launch("e", echo)
        await rt.activate("e")
        await rt.deactivate("e")
        for i in range(4):
            await rt.send("e", i, timeout=0)
        with pytest.raises(QueueFullError):
            await rt.send("e", 4, timeout=0)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises(QueueFullError):
            await rt.send("e", 4, timeout=0.2)
        assert 0.15 < loop.time() - t0 < 3.0    # slack for a loaded machine
        # The batch stops where the queue stays full, and says so.
        assert await rt.send_batch("e", [5, 6], timeout=0.1) == 0
        await rt.reactivate("e")
        got = [await rt.receive("e", timeout=1.0) for _ in range(4)]
        assert got == [0, 1, 2, 3]


async def test_blocked_send_goes_in_when_room_appears():
    async with RingKernelRuntime(default_queue_size=2) as rt:
        await rt.launch("e", echo, queue_size=2)
        await rt.activate("e")
        await rt.deactivate("e")
        await rt.send_batch("e", [0, 1])
        waiting = asyncio.ensure_future(rt.send("e", 2, timeout=5.0))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        await rt.reactivate("e")
        await waiting
        assert [await rt.receive("e", timeout=1.0) for _ in range(3)] == \
            [0, 1, 2]


async def test_send_to_a_launched_only_kernel_is_a_state_error():
    async with RingKernelRuntime() as rt:
        await rt.launch("e", echo)
        with pytest.raises(KernelStateError):
            await rt.send("e", 1)


async def test_many_concurrent_senders_and_receivers():
    n = 200
    async with RingKernelRuntime(default_queue_size=16) as rt:
        await rt.launch("e", echo)
        await rt.activate("e")
        receivers = [asyncio.ensure_future(rt.receive("e", timeout=10))
                     for _ in range(n)]
        await asyncio.gather(*(rt.send("e", i, timeout=10)
                               for i in range(n)))
        got = await asyncio.gather(*receivers)
        assert sorted(got) == list(range(n))


async def test_the_loop_runs_while_receive_waits():
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async with RingKernelRuntime() as rt:
        await rt.launch("e", echo)
        await rt.activate("e")
        t = asyncio.ensure_future(ticker())
        with pytest.raises(asyncio.TimeoutError):
            await rt.receive("e", timeout=0.5)
        t.cancel()
    assert ticks >= 20


async def test_a_cancelled_receive_loses_no_message():
    async with RingKernelRuntime() as rt:
        await rt.launch("e", echo)
        await rt.activate("e")
        await rt.deactivate("e")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(rt.receive("e"), 0.1)
        await rt.send("e", "kept")
        await rt.reactivate("e")
        assert await rt.receive("e", timeout=1.0) == "kept"


async def test_higher_priority_is_taken_first():
    @message
    class P:
        tag: str
    async with RingKernelRuntime() as rt:
        await rt.launch("e", echo)
        await rt.activate("e")
        await rt.deactivate("e")
        await rt.send("e", P(tag="low", priority=10))
        await rt.send("e", P(tag="high", priority=250))
        await rt.reactivate("e")
        got = [(await rt.receive("e", timeout=1.0)).tag for _ in range(2)]
        assert got == ["high", "low"]


async def test_message_envelope_and_reply():
    a = Item(value=1)
    assert a.priority == 128 and a.correlation_id is None
    b = a.reply(value=2)
    assert b.correlation_id == a.message_id
    with pytest.raises(ValueError):
        Item(value=1, priority=256)
    assert [f.name for f in dataclasses.fields(Item)][0] == "value"


def test_message_id_is_a_uuid_made_once_when_read():
    import uuid
    from ringkernel import RingKernelMessage

    @dataclasses.dataclass
    class Sub(RingKernelMessage):
        value: int = 0

    for cls in (Item, Sub):
        a, b = cls(value=1), cls(value=1)
        assert isinstance(a.message_id, uuid.UUID)
        assert a.message_id == a.message_id       # the same each read
        assert a.message_id != b.message_id
        assert a != b                             # as the reference's
        assert "UUID(" in repr(a)
        given = uuid.uuid4()
        assert cls(value=1, message_id=given).message_id is given
        assert dataclasses.replace(a, value=2).message_id == a.message_id
        assert dataclasses.asdict(b)["message_id"] == b.message_id
