"""The reference's three documented examples, written again here, run
against ringkernel with nothing but the import changed: a decorated
doubler with telemetry, three function kernels activated by kernel_ids,
and deactivate/reactivate with messages queued meanwhile."""
import asyncio
import os
import subprocess
import sys
import textwrap

from ringkernel import RingKernelRuntime, message, ring_kernel


@message
class Request:
    value: int


@message
class Response:
    result: int


async def serve(ctx, work):
    """The actor loop every example writes."""
    while not ctx.should_terminate:
        if not ctx.is_active:
            await ctx.wait_active()
            continue
        try:
            msg = await ctx.receive(timeout=0.1)
            await ctx.send(Response(result=work(msg.value)))
        except:  # noqa: E722 - as the reference's examples write it
            continue


async def test_decorated_doubler_with_telemetry():
    @ring_kernel(kernel_id="doubler")
    async def doubler(ctx):
        await serve(ctx, lambda v: v * 2)

    async with RingKernelRuntime(enable_telemetry=True) as runtime:
        await runtime.launch("doubler")
        await runtime.activate("doubler")
        await asyncio.sleep(0.1)
        await runtime.send("doubler", Request(value=21))
        response = await runtime.receive("doubler", timeout=1.0)
        assert response.result == 42
        assert runtime.get_telemetry("doubler").messages_processed == 1


async def test_three_function_kernels_activated_by_kernel_ids():
    async def processor_func(ctx):
        await serve(ctx, lambda v: v + 1)

    async with RingKernelRuntime() as runtime:
        for i in (1, 2, 3):
            await runtime.launch(f"processor{i}", processor_func)
        assert runtime.kernel_ids == ["processor1", "processor2",
                                      "processor3"]
        for kernel_id in runtime.kernel_ids:
            await runtime.activate(kernel_id)
        for i, kernel_id in enumerate(runtime.kernel_ids):
            await runtime.send(kernel_id, Request(value=10 * i))
        got = [(await runtime.receive(k, timeout=1.0)).result
               for k in runtime.kernel_ids]
        assert got == [1, 11, 21]
        assert sorted(runtime.active_kernels()) == runtime.kernel_ids
    assert runtime.kernel_ids == []


async def test_deactivated_kernel_queues_then_processes_all():
    @ring_kernel(kernel_id="worker")
    async def worker(ctx):
        await serve(ctx, lambda v: v * 10)

    async with RingKernelRuntime(enable_telemetry=True) as runtime:
        await runtime.launch("worker")
        await runtime.activate("worker")
        assert await runtime.send_batch(
            "worker", [Request(value=i) for i in range(5)]) == 5
        first = [(await runtime.receive("worker", timeout=1.0)).result
                 for _ in range(5)]
        await runtime.deactivate("worker")
        for i in range(5, 10):
            await runtime.send("worker", Request(value=i))
        await asyncio.sleep(0.3)
        t = runtime.get_telemetry("worker")
        assert t.queue_depth == 5 and t.messages_processed == 5
        await runtime.reactivate("worker")
        rest = [(await runtime.receive("worker", timeout=1.0)).result
                for _ in range(5)]
        assert first + rest == [10 * i for i in range(10)]


def _run(source):
    """Run a program in a fresh interpreter, as its reader would."""
    out = subprocess.run([sys.executable, "-c", source], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _srcdir():
    return os.environ.get("top_srcdir",
                          os.path.join(os.path.dirname(__file__), "..", ".."))


def test_the_readme_example_prints_what_it_says():
    lines = open(os.path.join(_srcdir(), "README")).read().splitlines()
    start = lines.index("From Python")
    first = lines.index("    import asyncio", start)
    block = []
    for line in lines[first:]:
        if line and not line.startswith("    "):
            break
        block.append(line)
    assert _run(textwrap.dedent("\n".join(block))) == "42\n1\n"


def test_the_man_page_example_prints_what_it_says():
    page = open(os.path.join(_srcdir(), "man", "ringkernel-python.3")).read()
    example = page[page.index(".Sh EXAMPLES"):]
    body = example[example.index(".Bd -literal\n") + 13:example.index(".Ed")]
    assert _run(body) == "42\n1\n"
