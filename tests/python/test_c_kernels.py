"""C kernels by name from the plugin path: messages from dicts and
@message objects through the kernel's types, replies as objects, and
the errors of a message that does not fit."""
import asyncio
import os

import pytest

from conftest import needs_plugins
from ringkernel import (KernelNotFoundError, MessageSerializationError,
                        RingKernelRuntime, message)

pytestmark = needs_plugins


@message
class Request:
    value: int


async def test_c_doubler_by_name():
    async with RingKernelRuntime(enable_telemetry=True) as rt:
        await rt.launch("doubler")
        await rt.activate("doubler")
        await rt.send("doubler", Request(value=21))
        await rt.send("doubler", {"value": -4})
        r1 = await rt.receive("doubler", timeout=1.0)
        r2 = await rt.receive("doubler", timeout=1.0)
        assert (r1.result, r2.result) == (42, -8)
        assert r1.correlation_id and r1.priority == 128
        t = rt.get_telemetry("doubler")
        assert t.messages_processed == 2 and t.state.name == "ACTIVE"


async def test_c_doubler_deactivated_queues_then_processes():
    async with RingKernelRuntime(enable_telemetry=True) as rt:
        await rt.launch("doubler")
        await rt.activate("doubler")
        await rt.deactivate("doubler")
        assert await rt.send_batch("doubler",
                                   [{"value": i} for i in range(50)]) == 50
        with pytest.raises(asyncio.TimeoutError):
            await rt.receive("doubler", timeout=0.1)
        assert rt.get_telemetry("doubler").queue_depth == 50
        await rt.reactivate("doubler")
        got = [(await rt.receive("doubler", timeout=1.0)).result
               for _ in range(50)]
        assert got == [2 * i for i in range(50)]


@pytest.mark.parametrize("bad", [{"value": "x"}, {"value": 1.5},
                                 {"value": True}, {"other": 1},
                                 {"value": 1 << 70}])
async def test_message_that_does_not_fit_the_type(bad):
    async with RingKernelRuntime() as rt:
        await rt.launch("doubler")
        await rt.activate("doubler")
        with pytest.raises(MessageSerializationError) as e:
            await rt.send("doubler", bad)
        if "other" in bad:
            assert "no field 'value'" in str(e.value)


async def test_json_kernel_takes_any_json_value():
    async with RingKernelRuntime() as rt:
        await rt.launch("identity")
        await rt.activate("identity")
        await rt.send("identity", {"a": [1, 2], "b": "c"})
        assert await rt.receive("identity", timeout=1.0) == \
            {"a": [1, 2], "b": "c"}


async def test_search_path_comes_first(tmp_path, monkeypatch):
    built = os.environ["RINGCTL_PLUGIN_PATH"]
    monkeypatch.delenv("RINGCTL_PLUGIN_PATH")
    async with RingKernelRuntime(search_path=str(tmp_path)) as rt:
        with pytest.raises(KernelNotFoundError) as e:
            await rt.launch("no-such-kernel")
        assert str(tmp_path) in str(e.value)
    async with RingKernelRuntime(search_path=built) as rt:
        await rt.launch("doubler")
        await rt.activate("doubler")
        await rt.send("doubler", {"value": 4})
        assert (await rt.receive("doubler", timeout=1.0)).result == 8
