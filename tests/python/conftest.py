"""What every test of the Python API shares: the build tree's library
and kernels (set by tests/python.sh), a clean @ring_kernel registry."""
import asyncio
import os

import pytest

from ringkernel import decorators


@pytest.fixture(autouse=True)
def clean_registry():
    before = dict(decorators._registry)
    yield
    decorators._registry.clear()
    decorators._registry.update(before)


needs_plugins = pytest.mark.skipif(
    not os.environ.get("RINGCTL_PLUGIN_PATH"),
    reason="RINGCTL_PLUGIN_PATH (the built kernels) is not set")


async def echo(ctx):
    """An actor that sends back what it receives, pausing when asked."""
    while not ctx.should_terminate:
        if not ctx.is_active:
            await ctx.wait_active()
            continue
        try:
            await ctx.send(await ctx.receive(timeout=0.05))
        except asyncio.TimeoutError:
            pass
