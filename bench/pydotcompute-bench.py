#!/usr/bin/env python3
"""Reference benchmark: pydotcompute 0.2.0 RingKernelRuntime ("doubler" ring kernel).

Run with the venv made by bench/setup-pyref.sh:
    bench/.venv/bin/python bench/pydotcompute-bench.py [--quick] [--json]

Measures, on the reference's default ("Tier 1") path -- RingKernelRuntime +
@ring_kernel + @message, FastMessageQueue (zero-copy, default), uvloop:
  * round trip latency: send one request, await its reply (p50/p99/p99.9, ns);
  * pipelined throughput: a producer and a consumer task run concurrently, the
    bounded queues (default 4096, backpressure "block") pace them; msgs/s.
The request object is built before the clock starts in the round-trip loop;
in the throughput loop building requests is part of the measured work.

Other pydotcompute tiers are deliberately not benchmarked: ThreadedRingKernel
(Tier 2, documented as *slower*, ~100 us p50; its default SPSCQueue also loses
messages when full) and CythonRingKernel (Tier 3, needs a local Cython build;
not a RingKernelRuntime path). RingKernelRuntime's own knobs are already at
their fastest by default (use_fast_queue=True, uvloop; eager tasks need 3.12+).
"""
import argparse
import asyncio
import json
import math
import os
import platform
import sys
from time import perf_counter_ns
from typing import NoReturn


def die(msg: str, code: int = 2) -> NoReturn:
    print(f"pydotcompute-bench: error: {msg}", file=sys.stderr)
    sys.exit(code)


# --impl picks the package, the only line that differs between them:
# the reference, or ringkernel (this tree's, on libringkernel) with the
# same Python actor ("ringkernel") or with the C doubler plugin
# ("ringkernel-c": no actor registered, so launch finds the plugin).
IMPL = "pydotcompute"
for _i, _a in enumerate(sys.argv):
    if _a.startswith("--impl="):
        IMPL = _a.split("=", 1)[1]
    elif _a == "--impl" and _i + 1 < len(sys.argv):
        IMPL = sys.argv[_i + 1]
try:
    if IMPL == "pydotcompute":
        import pydotcompute as impl
        from pydotcompute import RingKernelRuntime, message, ring_kernel
    elif IMPL == "limit":       # bench/pyapi_limit.py, beside this file
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import pyapi_limit as impl
        from pyapi_limit import RingKernelRuntime, message, ring_kernel
    else:
        import ringkernel as impl
        from ringkernel import RingKernelRuntime, message, ring_kernel
except ImportError as e:
    die(f"{IMPL} is not importable ({e}); for pydotcompute create the venv "
        "with bench/setup-pyref.sh and run this script with "
        "bench/.venv/bin/python")
try:
    import uvloop
except ImportError:
    if IMPL == "pydotcompute":
        die("uvloop is not importable; create the venv with "
            "bench/setup-pyref.sh and run this script with "
            "bench/.venv/bin/python")
    uvloop = None       # ringkernel: the default event loop

KERNEL = "doubler"


# Message types, as in the reference's README quick start (@message adds
# message_id (uuid4), priority and correlation_id fields).
@message
class DoubleRequest:
    value: int


@message
class DoubleResponse:
    result: int


# The actor, registered globally under KERNEL (queue_size defaults to 4096).
# NB: the README's other idiom, `await ctx.receive(timeout=0.1)`, raises
# QueueTimeoutError once idle, and the runtime swallows kernel exceptions, so
# the kernel silently dies while still reporting ACTIVE. Use blocking receive.
async def doubler(ctx):
    while not ctx.should_terminate:
        msg = await ctx.receive()
        await ctx.send(DoubleResponse(result=msg.value * 2))


if IMPL != "ringkernel-c":
    doubler = ring_kernel(kernel_id=KERNEL, input_type=DoubleRequest,
                          output_type=DoubleResponse)(doubler)


CDF_POINTS = (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999,
              0.9995, 0.9999, 1.0)


def percentile(sorted_ns: list, q: float) -> int:
    """Nearest-rank percentile of an ascending list."""
    return sorted_ns[max(0, min(len(sorted_ns) - 1, math.ceil(q * len(sorted_ns)) - 1))]


async def round_trip(rt, warmup: int, count: int, budget_s: float) -> list:
    send, recv = rt.send, rt.receive
    for i in range(warmup):
        await send(KERNEL, DoubleRequest(value=i))
        await recv(KERNEL)
    samples = []
    deadline = perf_counter_ns() + int(budget_s * 1e9)
    for i in range(count):
        req = DoubleRequest(value=i)
        t0 = perf_counter_ns()
        await send(KERNEL, req)
        resp = await recv(KERNEL)
        t1 = perf_counter_ns()
        if resp.result != 2 * i:
            raise RuntimeError(f"round trip: got {resp.result}, want {2 * i}")
        samples.append(t1 - t0)
        if t1 > deadline:
            break
    return samples


async def throughput(rt, n: int, budget_s: float) -> tuple:
    """Stream up to n messages (fewer if budget_s runs out); return (count, ns)."""
    send, recv = rt.send, rt.receive
    deadline = perf_counter_ns() + int(budget_s * 1e9)

    async def producer() -> int:
        sent = 0
        while sent < n - 1:
            await send(KERNEL, DoubleRequest(value=sent))
            sent += 1
            if not sent & 1023 and perf_counter_ns() > deadline:
                break
        await send(KERNEL, DoubleRequest(value=-1))  # end-of-stream marker
        return sent + 1

    async def consumer() -> int:
        want = 0
        while True:
            r = (await recv(KERNEL)).result
            if r < 0:
                return want + 1
            if r != 2 * want:  # FIFO: all messages share one priority band
                raise RuntimeError(f"throughput: got {r}, want {2 * want}")
            want += 1

    t0 = perf_counter_ns()
    sent, got = await asyncio.gather(producer(), consumer())
    elapsed = perf_counter_ns() - t0
    if sent != got:
        raise RuntimeError(f"throughput: sent {sent} but received {got}")
    return got, elapsed


async def run(args) -> dict:
    loop = type(asyncio.get_running_loop())
    if uvloop and not loop.__module__.startswith("uvloop"):
        die(f"event loop is {loop.__module__}.{loop.__name__}, not uvloop")
    async with RingKernelRuntime() as rt:  # defaults: telemetry on, uvloop
        await rt.launch(KERNEL)    # phase 1: create queues (registry lookup)
        await rt.activate(KERNEL)  # phase 2: start the actor task
        try:
            samples = await round_trip(rt, args.warmup, args.samples, args.rt_budget)
            await throughput(rt, min(args.messages, 5000), args.tp_budget)  # warm-up
            count, ns = await throughput(rt, args.messages, args.tp_budget)
        finally:
            # The actor is parked in ctx.receive(), which should_terminate cannot
            # interrupt: terminate() waits `timeout`, then cancels it. (The
            # runtime's default shutdown would sit idle for 10 s here.)
            await rt.terminate(KERNEL, timeout=0.05)
    samples.sort()
    return {
        "impl": f"{IMPL}-{impl.__version__}",
        "loop": "uvloop" if uvloop else "asyncio",
        "round_trip_ns": {
            "p50": percentile(samples, 0.50),
            "p99": percentile(samples, 0.99),
            "p999": percentile(samples, 0.999),
            "samples": len(samples),
            # [fraction, ns] points for the latency plot, as bench-actor's.
            "cdf": [[q, percentile(samples, q)] for q in CDF_POINTS],
        },
        "throughput_msgs_per_s": round(count * 1e9 / ns, 1),
        "messages": count,
        "_elapsed_ns": ns,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small counts (smoke test)")
    ap.add_argument("--json", action="store_true", help="print one JSON line on stdout")
    ap.add_argument("--samples", type=int, help="measured round trips (default 20000)")
    ap.add_argument("--messages", type=int, help="throughput messages (default 100000)")
    ap.add_argument("--impl", choices=("pydotcompute", "ringkernel",
                                       "ringkernel-c", "limit"), default="pydotcompute",
                    help="the package (and kernel) to measure")
    args = ap.parse_args()
    q = args.quick
    args.warmup = 200 if q else 2000
    args.samples = args.samples or (2000 if q else 20000)
    args.messages = args.messages or (10000 if q else 100000)
    args.rt_budget, args.tp_budget = (1.0, 2.0) if q else (5.0, 10.0)
    if args.samples < 1 or args.messages < 2:
        die("--samples must be >= 1 and --messages >= 2")
    if IMPL == "pydotcompute" and impl.__version__ != "0.2.0":
        print(f"pydotcompute-bench: warning: pydotcompute {impl.__version__}"
              " (expected 0.2.0)", file=sys.stderr)

    try:
        if uvloop and not hasattr(uvloop, "run"):   # before uvloop 0.18
            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        res = (getattr(uvloop, "run", asyncio.run))(run(args))
    except Exception as e:  # noqa: BLE001 - report any runtime failure plainly
        die(f"benchmark failed: {type(e).__name__}: {e}", 1)
    elapsed = res.pop("_elapsed_ns")

    if args.json:
        print(json.dumps(res))
        return
    rt = res["round_trip_ns"]
    loop_name = f"uvloop {uvloop.__version__}" if uvloop else "asyncio"
    print(f"{res['impl']} RingKernelRuntime, {loop_name}, "
          f"Python {platform.python_version()}")
    print(f"  round trip: p50 {rt['p50'] / 1e3:.1f} us  p99 {rt['p99'] / 1e3:.1f} us  "
          f"p99.9 {rt['p999'] / 1e3:.1f} us  ({rt['samples']} samples)")
    print(f"  throughput: {res['throughput_msgs_per_s']:,.0f} msgs/s  "
          f"({res['messages']} messages in {elapsed / 1e9:.2f} s)")


if __name__ == "__main__":
    main()
