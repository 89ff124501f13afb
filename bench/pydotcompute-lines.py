#!/usr/bin/env python3
"""`ringctl run doubler` on pydotcompute 0.2.0 RingKernelRuntime (uvloop):
    bench/.venv/bin/python bench/pydotcompute-lines.py < in.jsonl > out.jsonl
stdin {"value": N} -> stdout {"result":2N} in order, through a copy of the ring
kernel in bench/pydotcompute-bench.py.  As in ringctl: blank lines are skipped;
a bad line ends the input (exit 65); writes are large, and flushed after 0.2 s
idle; EPIPE exits 0; failures exit 1; no pydotcompute/uvloop exits 2.
"""
import asyncio
import json  # stdlib only: orjson is not in the venv (nothing extra installed)
import os
import sys

try:
    from pydotcompute import RingKernelRuntime, message, ring_kernel
    import uvloop
except ImportError as e:
    print(f"pydotcompute-lines: error: {e}; create the venv with "
          "bench/setup-pyref.sh and run with bench/.venv/bin/python", file=sys.stderr)
    sys.exit(2)
KERNEL = "doubler"
CHUNK, OUT_BATCH = 1 << 20, 4096  # bytes per stdin read, results per write


@message  # adds message_id (uuid4), priority, correlation_id
class DoubleRequest:
    value: int


@message
class DoubleResponse:
    result: int


# Same actor as pydotcompute-bench.py (blocking receive: see the note there).
@ring_kernel(kernel_id=KERNEL, input_type=DoubleRequest, output_type=DoubleResponse)
async def doubler(ctx):
    while not ctx.should_terminate:
        msg = await ctx.receive()
        await ctx.send(DoubleResponse(result=msg.value * 2))


async def run() -> int:
    loop = asyncio.get_running_loop()
    stdout, decode = sys.stdout.buffer, json.JSONDecoder().decode  # = loads(str)
    out, sent, got = [], 0, 0      # out: formatted results not yet written
    done, bad = False, None        # done: the producer has sent its last

    def flush() -> None:
        stdout.write("".join(out).encode())
        stdout.flush()
        out.clear()

    async def producer(send) -> None:
        nonlocal sent, bad
        tail, number, eof = b"", 0, False
        while not eof:
            # Read in a thread: the kernel and consumer run while stdin idles.
            chunk = await loop.run_in_executor(None, os.read, 0, CHUNK)
            data, eof = tail + chunk, not chunk
            cut = len(data) if eof else data.rfind(b"\n")  # whole lines only
            if cut < 0:
                tail = data
                continue
            # Decoded a chunk at a time: json on str skips its bytes sniffing.
            text, tail = data[:cut].decode("utf-8", "replace"), data[cut + 1:]
            for line in text.split("\n"):
                number += 1
                try:
                    v = decode(line)["value"]
                    if type(v) is not int or not -(1 << 63) <= v < 1 << 63:
                        raise ValueError(f"not an int64: {v!r}")
                except (ValueError, TypeError, KeyError) as e:
                    if line.strip():   # else a blank line: skipped
                        bad = f"<stdin>:{number}: {type(e).__name__}: {e}"
                        return
                    continue
                await send(KERNEL, DoubleRequest(value=v))  # waits while full
                sent += 1

    async def consumer(recv) -> None:
        nonlocal got
        while not (done and got == sent):  # FIFO: results come in input order
            out.append(f'{{"result":{(await recv(KERNEL)).result}}}\n')
            got += 1
            if len(out) >= OUT_BATCH:
                flush()

    async def idle_flusher() -> None:
        while True:
            await asyncio.sleep(0.2)
            if out:
                flush()

    async with RingKernelRuntime() as rt:  # defaults, as in the bench
        await rt.launch(KERNEL)    # create the queues, then
        await rt.activate(KERNEL)  # start the actor task
        tasks = [asyncio.create_task(c) for c in (
            producer(rt.send), consumer(rt.receive), idle_flusher())]
        try:
            ended, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for t in ended:  # the producer, or a writer that failed (EPIPE...)
                t.result()
            done = True
            if got < sent:   # else it is parked in receive, cancelled below
                await tasks[1]  # the consumer drains what is in flight
            flush()
        finally:
            for t in tasks:
                t.cancel()
            await rt.terminate(KERNEL, timeout=0.05)  # see pydotcompute-bench.py
    if bad:
        print(f"pydotcompute-lines: {bad}", file=sys.stderr)
        return 65
    return 0


def main() -> int:
    try:
        return uvloop.run(run())
    except BrokenPipeError:        # `| head`: end quietly, like ringctl
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        return 0
    except Exception as e:  # noqa: BLE001 - report any runtime failure plainly
        print(f"pydotcompute-lines: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
