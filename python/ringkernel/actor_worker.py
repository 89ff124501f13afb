"""The actor form of a Python kernel in its worker (worker.py): the
file's `async def main(ctx, **params)` runs on an asyncio loop with the
reference's ctx (ctx.py), whose link is the worker's pipes.  A thread
reads the kernel's frames (M, A, D, T, the end of input) and hands them
to the loop; the actor's sends go out as M frames at once."""
import asyncio
import json
import sys
import threading

from ctx import KernelContext


class WorkerContext(KernelContext):
    """The reference's ctx, with the kernel's parameters."""
    __slots__ = ("params",)


class WorkerLink:
    def __init__(self, loop, frame, out, dumps):
        self._loop = loop
        self._frame, self._out, self._dumps = frame, out, dumps
        self._queue = asyncio.Queue()
        self._active = True
        self._terminating = False
        self._wake = asyncio.Event()    # set while active or terminating
        self._wake.set()

    # The reader thread's frames, on the loop.
    def frame_in(self, line):
        tag = line[:1]
        if tag == b"M":
            self._queue.put_nowait(json.loads(line[1:]))
        elif tag == b"A":
            self._active = True
            self._wake.set()
        elif tag == b"D":
            self._active = False
            self._wake.clear()
        elif tag in (b"T", b""):        # b"": the end of input
            self._terminating = True
            self._wake.set()

    def should_terminate(self):
        # Not before the messages forwarded ahead of the end are taken:
        # a terminate drains, as the reference's does.
        return self._terminating and self._queue.empty()

    def is_active(self):
        return self._active and not self.should_terminate()

    async def receive(self, timeout):
        # Messages the kernel forwarded before a terminate are still
        # handed out: none is lost.
        return await asyncio.wait_for(self._queue.get(), timeout)

    async def send(self, message):
        self._frame(b"M", self._dumps(message))
        self._out.flush()

    async def wait_active(self):
        await self._wake.wait()


def _read(loop, link):
    for line in sys.stdin.buffer:
        loop.call_soon_threadsafe(link.frame_in, line.rstrip(b"\n"))
    loop.call_soon_threadsafe(link.frame_in, b"")


def serve_actor(module, params, path, frame, out, error_text, dumps):
    main = module.get("main")
    if not asyncio.iscoroutinefunction(main):
        frame(b"F", f"{path} defines no async def main(ctx)".encode())
        out.flush()
        return 1

    async def run():
        loop = asyncio.get_running_loop()
        link = WorkerLink(loop, frame, out, dumps)
        ctx = WorkerContext(path, link)
        ctx.params = params
        threading.Thread(target=_read, args=(loop, link),
                         daemon=True).start()
        await main(ctx, **params)

    try:
        asyncio.run(run())
    except Exception as exc:
        frame(b"E", error_text(exc).encode())
        out.flush()
        return 1
    out.flush()
    return 0
