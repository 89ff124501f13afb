"""Python actors: what becomes of one that raises or ends by itself,
telemetry on and off, the summary, and libringkernel's counts of an
actor's queues."""
import asyncio

import pytest

from conftest import echo
from ringkernel import (KernelFailedError, KernelState, KernelStateError,
                        QueueFullError, RingKernelRuntime,
                        RingKernelTelemetry)


async def test_an_actor_that_raises_fails_its_kernel_and_says_why():
    async def broken(ctx):
        msg = await ctx.receive()
        raise ValueError(f"cannot take {msg!r}")

    async with RingKernelRuntime(enable_telemetry=True) as rt:
        await rt.launch("b", broken)
        await rt.activate("b")
        await rt.send("b", 7)
        for _ in range(100):
            if rt.get_state("b") is KernelState.FAILED:
                break
            await asyncio.sleep(0.01)
        assert rt.get_state("b") is KernelState.FAILED
        t = rt.get_telemetry("b")
        assert "ValueError: cannot take 7" in t.last_error
        with pytest.raises((KernelStateError, KernelFailedError)):
            await rt.send("b", 8)


async def test_an_actor_that_returns_before_terminate_is_failed():
    async def once(ctx):
        await ctx.send("hello")

    async with RingKernelRuntime(enable_telemetry=True) as rt:
        await rt.launch("o", once)
        await rt.activate("o")
        assert await rt.receive("o", timeout=1.0) == "hello"
        for _ in range(100):
            if rt.get_state("o") is KernelState.FAILED:
                break
            await asyncio.sleep(0.01)
        assert "before terminate" in rt.get_telemetry("o").last_error


async def test_a_plain_function_kernel_runs():
    calls = []

    def plain(ctx):
        calls.append(ctx.kernel_id)

    async with RingKernelRuntime() as rt:
        await rt.launch("p1", plain)
        await rt.activate("p1")
        await asyncio.sleep(0.05)
    assert calls == ["p1"]


async def test_telemetry_off_gives_none_and_a_zero_summary():
    async with RingKernelRuntime() as rt:
        await rt.launch("e", echo)
        assert rt.get_telemetry("e") is None
        assert rt.get_all_telemetry() == {}
        s = rt.get_summary()
        assert s["kernel_count"] == 1
        assert s["total_messages_processed"] == 0


async def test_telemetry_and_summary_count_what_an_actor_did():
    async with RingKernelRuntime(enable_telemetry=True,
                                 default_queue_size=64) as rt:
        await rt.launch("e", echo)
        await rt.launch("f", echo)
        await rt.activate("e")
        for i in range(10):
            await rt.send("e", i)
            assert await rt.receive("e", timeout=1.0) == i
        t = rt.get_telemetry("e")
        assert isinstance(t, RingKernelTelemetry)
        assert t.kernel_id == "e" and t.state is KernelState.ACTIVE
        assert t.messages_processed == 10 and t.messages_sent == 10
        assert t.queue_depth == 0 and t.queue_capacity == 64
        assert t.error_count == 0 and t.last_error is None
        assert t.uptime_seconds > 0
        assert t.to_dict()["messages_processed"] == 10
        s = rt.get_summary()
        assert s["kernel_count"] == 2 and s["active_count"] == 1
        assert s["total_messages_processed"] == 10
        assert set(rt.get_all_telemetry()) == {"e", "f"}


async def test_launch_options_are_checked():
    with pytest.raises(ValueError):
        RingKernelRuntime(backend="tpu")
    with pytest.raises(TypeError):
        RingKernelRuntime(enable_telemtry=True)     # a typo is not ignored
    async with RingKernelRuntime(use_uvloop=True, use_eager_tasks=True):
        pass
    async with RingKernelRuntime() as rt:
        with pytest.raises(ValueError):
            await rt.launch("e", echo, backpressure="sometimes")


async def test_receive_from_a_failed_actor_says_so_at_once():
    async def broken(ctx):
        raise RuntimeError("no")

    async with RingKernelRuntime() as rt:
        await rt.launch("b", broken)
        await rt.activate("b")
        with pytest.raises(KernelFailedError) as e:
            await asyncio.wait_for(rt.receive("b"), 2.0)
        assert "RuntimeError: no" in str(e.value)


async def test_an_actor_waits_for_room_in_its_output():
    async def burst(ctx):
        await ctx.receive()
        for i in range(5):
            await ctx.send(i)
        await ctx.wait_active()
        while not ctx.should_terminate:
            await asyncio.sleep(0.01)

    async with RingKernelRuntime(enable_telemetry=True) as rt:
        await rt.launch("b", burst, queue_size=2)
        await rt.activate("b")
        await rt.send("b", "go")
        await asyncio.sleep(0.1)
        t = rt.get_telemetry("b")
        assert t.output_queue_depth == 2 and t.messages_sent == 2
        assert [await rt.receive("b", timeout=1.0) for _ in range(5)] == \
            list(range(5))


async def test_reject_backpressure_fails_a_send_at_once():
    async with RingKernelRuntime(default_queue_size=2) as rt:
        await rt.launch("e", echo, backpressure="reject")
        await rt.activate("e")
        await rt.deactivate("e")
        await rt.send_batch("e", [1, 2])
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises(QueueFullError):
            await rt.send("e", 3, timeout=5.0)
        assert loop.time() - t0 < 3.0    # "at once", with slack for load


async def test_many_receivers_of_one_actor():
    async with RingKernelRuntime(spin_us=50) as rt:
        await rt.launch("e", echo)
        await rt.activate("e")
        waiting = [asyncio.ensure_future(rt.receive("e", timeout=5))
                   for _ in range(50)]
        await asyncio.sleep(0.05)
        await rt.send_batch("e", list(range(50)))
        assert sorted(await asyncio.gather(*waiting)) == list(range(50))
