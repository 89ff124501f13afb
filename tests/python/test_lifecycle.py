"""launch, activate, deactivate, reactivate, terminate, terminate_all,
get_state, kernel_ids, active_kernels, the context manager, and the
errors of each."""
import asyncio

import pytest

from conftest import echo
from ringkernel import (KernelAlreadyExistsError, KernelNotFoundError,
                        KernelState, KernelStateError, RingKernelRuntime,
                        ring_kernel)


async def test_states_through_the_lifecycle():
    async with RingKernelRuntime() as rt:
        await rt.launch("a", echo)
        assert rt.get_state("a") is KernelState.LAUNCHED
        await rt.activate("a")
        assert rt.get_state("a") is KernelState.ACTIVE
        await rt.deactivate("a")
        assert rt.get_state("a") is KernelState.DEACTIVATED
        await rt.reactivate("a")
        assert rt.get_state("a") is KernelState.ACTIVE
        await rt.terminate("a")
        assert rt.kernel_ids == []
        with pytest.raises(KernelNotFoundError):
            rt.get_state("a")


@pytest.mark.parametrize("op", ["deactivate", "reactivate"])
async def test_illegal_transition_is_a_state_error(op):
    async with RingKernelRuntime() as rt:
        await rt.launch("a", echo)
        with pytest.raises(KernelStateError) as e:
            await getattr(rt, op)("a")
        assert e.value.kernel_id == "a"
        assert e.value.current_state == "LAUNCHED"
        assert op in str(e.value) and "LAUNCHED" in str(e.value)


async def test_activate_twice_is_a_state_error():
    async with RingKernelRuntime() as rt:
        await rt.launch("a", echo)
        await rt.activate("a")
        with pytest.raises(KernelStateError):
            await rt.activate("a")


async def test_unknown_kernel_is_not_found_everywhere():
    async with RingKernelRuntime() as rt:
        await rt.launch("known", echo)
        for call in (rt.activate("x"), rt.deactivate("x"),
                     rt.reactivate("x"), rt.terminate("x"),
                     rt.send("x", 1), rt.receive("x", timeout=0)):
            with pytest.raises(KernelNotFoundError) as e:
                await call
            assert e.value.kernel_id == "x"
            assert "known" in str(e.value)
        with pytest.raises(KernelNotFoundError):
            rt.get_state("x")


async def test_launch_of_nothing_by_that_name_is_not_found():
    async with RingKernelRuntime(search_path="") as rt:
        with pytest.raises(KernelNotFoundError) as e:
            await rt.launch("no-such-kernel")
        assert "no-such-kernel" in str(e.value)
        assert rt.kernel_ids == []


async def test_launch_twice_is_refused():
    async with RingKernelRuntime() as rt:
        await rt.launch("a", echo)
        with pytest.raises(KernelAlreadyExistsError):
            await rt.launch("a", echo)
        assert isinstance(KernelAlreadyExistsError("a"), KernelStateError)


async def test_registered_kernel_launches_by_id():
    @ring_kernel(kernel_id="reg", queue_size=7)
    async def reg(ctx):
        await echo(ctx)

    async with RingKernelRuntime(enable_telemetry=True) as rt:
        await rt.launch("reg")
        assert rt.get_telemetry("reg").queue_capacity == 7


async def test_kernel_ids_and_active_kernels():
    async with RingKernelRuntime() as rt:
        for k in ("c", "a", "b"):
            await rt.launch(k, echo)
        assert rt.kernel_ids == ["c", "a", "b"]     # launch order
        assert rt.active_kernels() == []
        await rt.activate("a")
        await rt.activate("b")
        assert rt.active_kernels() == ["a", "b"]
        await rt.deactivate("b")
        assert rt.active_kernels() == ["a"]


async def test_terminate_all_and_context_exit_end_every_kernel():
    rt = RingKernelRuntime()
    async with rt:
        for k in ("a", "b", "c"):
            await rt.launch(k, echo)
        await rt.activate("a")
        await rt.activate("b")
        await rt.deactivate("b")
        await rt.terminate_all(timeout=2.0)
        assert rt.kernel_ids == []
        await rt.launch("d", echo)
        await rt.activate("d")
    assert rt.kernel_ids == [] and not rt.is_active


async def test_terminate_of_a_launched_only_actor():
    async with RingKernelRuntime() as rt:
        await rt.launch("a", echo)
        await rt.terminate("a", timeout=1.0)
        assert rt.kernel_ids == []


async def test_terminate_cancels_an_actor_that_does_not_end():
    async def stubborn(ctx):
        while True:
            await asyncio.sleep(0.01)

    async with RingKernelRuntime() as rt:
        await rt.launch("s", stubborn)
        await rt.activate("s")
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await rt.terminate("s", timeout=0.2)
        assert loop.time() - t0 < 3.0    # 0.2 s, with slack for load
        assert rt.kernel_ids == []


async def test_actor_sees_should_terminate_and_is_active():
    seen = []

    async def watcher(ctx):
        seen.append(("active", ctx.is_active))
        while not ctx.should_terminate:
            if not ctx.is_active:
                seen.append(("paused", True))
                await ctx.wait_active()
                seen.append(("resumed", ctx.is_active))
                continue
            await asyncio.sleep(0.01)
        seen.append(("terminating", ctx.should_terminate))

    async with RingKernelRuntime() as rt:
        await rt.launch("w", watcher)
        await rt.activate("w")
        await asyncio.sleep(0.05)
        await rt.deactivate("w")
        await asyncio.sleep(0.05)
        await rt.reactivate("w")
        await asyncio.sleep(0.05)
        await rt.terminate("w")
    assert seen == [("active", True), ("paused", True), ("resumed", True),
                    ("terminating", True)]


async def test_the_references_other_names():
    async with RingKernelRuntime(enable_telemetry=True) as rt:
        await rt.launch("a", echo)
        await rt.activate("a")
        assert rt.get_kernel_state("a") is KernelState.ACTIVE
        assert await rt.send_and_receive("a", "ping", timeout=1.0) == "ping"
        assert set(rt.get_all_telemetry()) == {"a"}
        with pytest.raises(KernelNotFoundError):
            rt.get_telemetry("b")
        await rt.terminate("a", 1.0)                # timeout by position
        assert rt.kernel_ids == []


async def test_a_ctx_call_while_terminating_ends_the_actor_cleanly():
    ended = []

    async def blunt(ctx):
        try:
            while True:                             # no should_terminate
                await ctx.receive()
        finally:
            ended.append(True)

    async with RingKernelRuntime() as rt:
        await rt.launch("b", blunt)
        await rt.activate("b")
        await asyncio.sleep(0.05)
        await rt.terminate("b", timeout=2.0)
        assert ended == [True] and rt.kernel_ids == []
