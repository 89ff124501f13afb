"""A Python actor as a libringkernel kernel.

The actor's code runs as a task on the caller's event loop, as in the
reference.  Its queues, state, backpressure and telemetry are those of
a kernel launched in libringkernel with a descriptor made here through
ctypes, whose `main` is `_serve` below: libringkernel's own kernel
thread runs it.  That thread does, one at a time, the rk_ctx_* calls
the actor's ctx asks for (receive, send, wait_active), and so the
kernel reads its queues and confirms its state changes on its own
thread, as every kernel does; the actor awaits a future that the
thread settles through call_soon_threadsafe.  While the thread waits in
C (rk_ctx_receive, rk_ctx_wait_active) the GIL is released.

What travels through the C queues is an 8-byte handle of the Python
object, kept in a table until taken: the reference passes objects by
reference too, and so any object, of any size, can be sent without a
copy.  The queue's order, capacity, waiting, dropping and counts are
libringkernel's."""
import asyncio
import ctypes
import itertools
import queue
import time
import traceback

from . import _lib
from .ctx import KernelContext, KernelTerminating
from .errors import QueueTimeoutError, raise_for
from .handoff import Handoff

HANDLE = 8          # bytes of a handle in a queue slot
_QUIT = object()
_POLL = ("poll", None, None)

_handles = itertools.count(1)


def handle_bytes(obj, table):
    """Keep obj in table under a fresh handle; the handle's bytes."""
    h = next(_handles)
    table[h] = obj
    return h, h.to_bytes(HANDLE, "little")


class ActorLink:
    """The kernel of one Python actor: its descriptor, its thread's
    work queue, the tables of objects in its two queues, and what its
    ctx calls."""

    def __init__(self, runtime, kernel_id, func):
        self.runtime = runtime
        self.kernel_id = kernel_id
        self.id_b = kernel_id.encode()
        self.func = func
        self.inbox = {}             # handle -> object in the input queue
        self.outbox = {}            # handle -> object in the output queue
        self.ops = queue.SimpleQueue()
        self.loop = None
        self.task = None
        self.terminating = False
        self.failure = None
        self.handoff = Handoff()    # of the actor's receives
        self._quit_sent = False
        self.ctx = KernelContext(kernel_id, self)
        # Kept alive as long as the kernel may run them.
        self.main = _lib.MAIN_FN(self._main)
        self.desc = _lib.KernelDesc(
            abi_version=_lib.PLUGIN_ABI_VERSION,
            struct_size=ctypes.sizeof(_lib.KernelDesc),
            name=self.id_b, description=b"Python actor",
            main=self.main)

    # -- the runtime's side ----------------------------------------
    def start(self, loop):
        """Run the actor (after the kernel is confirmed ACTIVE)."""
        self.loop = loop
        self.task = loop.create_task(self._run(),
                                     name=f"ring_kernel_{self.kernel_id}")
        self.task.add_done_callback(lambda _t: self.quit())

    def poke(self):
        """Have the kernel's thread look at its control block: a state
        change waits for the kernel to confirm it, and the thread may be
        waiting for the actor's next call instead of in C."""
        self.ops.put(_POLL)

    def quit(self):
        if not self._quit_sent:
            self._quit_sent = True
            self.ops.put(_QUIT)

    async def _run(self):
        try:
            result = self.func(self.ctx)
            if asyncio.iscoroutine(result):
                await result
        except (KernelTerminating, asyncio.CancelledError):
            pass
        except Exception as e:  # the kernel fails, and says why
            if not self.terminating:
                tb = traceback.extract_tb(e.__traceback__)[-1:]
                where = f" at {tb[0].filename}:{tb[0].lineno}" if tb else ""
                self.failure = f"{type(e).__name__}: {e}{where}"

    # -- the ctx's side (on the loop) --------------------------------
    def should_terminate(self):
        if self.terminating:
            return True
        s = ctypes.c_int()
        rc = _lib.lib.rk_get_state(self.runtime._rt, self.id_b,
                                   ctypes.byref(s))
        return rc != _lib.OK or s.value >= 3    # TERMINATING and after

    def is_active(self):
        s = ctypes.c_int()
        rc = _lib.lib.rk_get_state(self.runtime._rt, self.id_b,
                                   ctypes.byref(s))
        return rc == _lib.OK and s.value == 1

    def _call(self, kind, arg):
        fut = self.loop.create_future()
        self.ops.put((kind, fut, arg))
        return fut

    async def receive(self, timeout=None):
        if self.handoff.stash:
            return self.handoff.stash.popleft()
        fut = self._call("receive", timeout)
        self.handoff.waiting.append(fut)
        return await fut

    async def send(self, message):
        await self._call("send", message)

    async def wait_active(self):
        await self._call("wait_active", None)

    # -- the kernel's thread -----------------------------------------
    def _main(self, ctx):
        try:
            return self._serve(ctx)
        except BaseException as e:    # never unwind into C
            why = f"{type(e).__name__}: {e}".encode("utf-8", "replace")
            _lib.lib.rk_ctx_error(ctypes.c_void_p(ctx), b"%s", why)
            return 1

    def _serve(self, ctx):
        msg = _lib.Msg()
        mine = False        # the actor holds a message it took
        while True:
            op = self.ops.get()
            if op is _QUIT:
                break
            kind, fut, arg = op
            if fut is not None and fut.cancelled():
                continue    # nobody waits for it: take nothing
            try:
                if kind == "poll":
                    _lib.lib.rk_ctx_is_active(ctx)
                    continue
                if kind == "receive":
                    value = self._take(ctx, msg, arg)
                    mine = True
                elif kind == "send":
                    # The first send after a receive is its reply: the
                    # message is done (counted processed) as it goes.
                    self._emit(ctx, arg, _lib.lib.rk_ctx_reply if mine
                               else _lib.lib.rk_ctx_send)
                    mine = False
                    value = None
                else:       # wait_active
                    _lib.lib.rk_ctx_wait_active(ctx, _lib.FOREVER)
                    value = None
                self.loop.call_soon_threadsafe(
                    self.handoff.settle if kind == "receive" else _settle,
                    fut, value, None)
            except BaseException as e:  # noqa: B902 - the actor gets it
                self.loop.call_soon_threadsafe(
                    self.handoff.settle if kind == "receive" else _settle,
                    fut, None, e)
        if self.failure:
            _lib.lib.rk_ctx_error(ctypes.c_void_p(ctx), b"%s",
                                  self.failure.encode("utf-8", "replace"))
            return 1
        if self.terminating:
            # The actor may end the moment terminate is asked for, a
            # little before libringkernel's request reaches this kernel:
            # returning first would read as "main returned before
            # terminate".  The request follows at once; wait for it.
            until = time.monotonic() + 5.0
            while not _lib.lib.rk_ctx_should_terminate(ctx) and \
                    time.monotonic() < until:
                time.sleep(0.0005)
        return 0

    def _take(self, ctx, msg, timeout):
        rc = _lib.lib.rk_ctx_receive(
            ctx, ctypes.byref(msg), _lib.FOREVER if timeout is None
            else timeout)
        if rc == _lib.OK:
            h = int.from_bytes(ctypes.string_at(msg.data, HANDLE), "little")
            return self.inbox.pop(h)
        if rc == _lib.ETIMEDOUT:
            raise QueueTimeoutError(self.kernel_id, timeout, "receive")
        if rc in (_lib.ESTATE, _lib.EEND):
            raise KernelTerminating(self.kernel_id)
        raise_for(rc, self.kernel_id, "receive")

    def _emit(self, ctx, obj, send):
        h, data = handle_bytes(obj, self.outbox)
        rc = send(ctx, data, HANDLE)
        if rc != _lib.OK:
            self.outbox.pop(h, None)
            raise_for(rc, self.kernel_id, "send")


def _settle(fut, value, exc):
    if fut.cancelled():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(value)
