"""A Python actor as a libringkernel kernel.

The actor's code runs as a task on the caller's event loop, as in the
reference.  Its queues, state, backpressure and telemetry are those of
a kernel launched in libringkernel with a descriptor made here through
ctypes.  The kernel's own thread runs its `main` (_main below), which
hands the kernel's rk_ctx to the loop and waits for the actor to end:
from then on the actor's ctx calls the rk_ctx_* functions from the
loop, as the kernel's code would from its thread (one thread at a
time: the kernel's thread touches the ctx only before and after).

Everything that fills or empties an actor's queues runs on the loop
too (the runtime's send and receive, the actor's ctx), so a wait for
a message or for room is a wake-up on the loop (wakeup.py) that the
other side's call notifies: no thread, no polling, no hand-over between
threads on the way of a message.  The C calls made are the
non-blocking ones (timeout 0); room in the output is known before an
emit, so that it never waits.

What travels through the C queues is an 8-byte handle of the Python
object, kept in a table until taken: the reference passes objects by
reference too, and so any object, of any size, can be sent without a
copy.  The queue's order, capacity, priorities, counts and state are
libringkernel's."""
import asyncio
import ctypes
import itertools
import threading
import time
import traceback

from . import _lib
from .ctx import KernelContext, KernelTerminating
from .errors import QueueTimeoutError, raise_for
from .wakeup import Wakeup

HANDLE = 8          # bytes of a handle in a queue slot

_handles = itertools.count(1)


def handle_bytes(obj, table):
    """Keep obj in table under a fresh handle; the handle's bytes."""
    h = next(_handles)
    table[h] = obj
    return h, h.to_bytes(HANDLE, "little")


class ActorLink:
    """The kernel of one Python actor: its descriptor, its rk_ctx, the
    tables of objects in its two queues, and what its ctx calls."""

    def __init__(self, runtime, kernel_id, func, capacity):
        self.runtime = runtime
        self.kernel_id = kernel_id
        self.id_b = kernel_id.encode()
        self.func = func
        self.capacity = capacity    # of its output queue
        self.inbox = {}             # handle -> object in the input queue
        self.outbox = {}            # handle -> object in the output queue
        self.inbound = Wakeup()     # input arrived, or the state changed
        self.outbound = Wakeup()    # output emitted or taken; state
        self.task = None
        self.terminating = False
        self.closed = False         # the ctx is the kernel thread's again
        self.failure = None
        self.mine = False           # the actor holds a message it took
        self.rk_ctx = None
        self.ready = threading.Event()
        self.done = threading.Event()
        self._msg = _lib.Msg()
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
        """Run the actor (once the kernel is confirmed ACTIVE)."""
        self.task = loop.create_task(self._run(),
                                     name=f"ring_kernel_{self.kernel_id}")
        self.task.add_done_callback(lambda _t: self.quit())

    def look(self):
        """Have the kernel see its control block: a state change waits
        for the kernel to confirm it, which its ctx calls do."""
        if not self.closed and self.rk_ctx is not None:
            _lib.lib.rk_ctx_is_active(self.rk_ctx)

    def changed(self):
        """The state changed: every waiter looks again."""
        self.inbound.notify()
        self.outbound.notify()

    def quit(self):
        """The actor is done: the ctx goes back to the kernel's thread,
        whose main then returns."""
        if not self.closed:
            self.closed = True
            self.changed()
            self.done.set()

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

    # -- the ctx's calls (on the loop) --------------------------------
    def should_terminate(self):
        return self.terminating or self.closed or \
            _lib.lib.rk_ctx_should_terminate(self.rk_ctx)

    def is_active(self):
        return not self.closed and _lib.lib.rk_ctx_is_active(self.rk_ctx)

    async def receive(self, timeout=None):
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            if self.closed:
                raise KernelTerminating(self.kernel_id)
            rc = _lib.lib.rk_ctx_receive(self.rk_ctx,
                                         ctypes.byref(self._msg), 0.0)
            if rc == _lib.OK:
                self.mine = True
                h = int.from_bytes(ctypes.string_at(self._msg.data, HANDLE),
                                   "little")
                return self.inbox.pop(h)
            if rc in (_lib.ESTATE, _lib.EEND) or (
                    rc == _lib.ETIMEDOUT and self.terminating):
                raise KernelTerminating(self.kernel_id)
            if rc != _lib.ETIMEDOUT:
                raise_for(rc, self.kernel_id, "receive")
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                raise QueueTimeoutError(self.kernel_id, timeout, "receive")
            await self.inbound.wait(left)

    async def send(self, obj):
        # Room first, so that the emit never waits (its queue's room is
        # what the outbox does not hold: only the runtime takes from it).
        while len(self.outbox) >= self.capacity:
            if self.closed or self.terminating:
                raise KernelTerminating(self.kernel_id)
            await self.outbound.wait()
        if self.closed:
            raise KernelTerminating(self.kernel_id)
        h, data = handle_bytes(obj, self.outbox)
        # The first send after a receive is its reply: the message is
        # done (counted processed) as it goes.
        emit = _lib.lib.rk_ctx_reply if self.mine else _lib.lib.rk_ctx_send
        rc = emit(self.rk_ctx, data, HANDLE)
        if rc != _lib.OK:
            self.outbox.pop(h, None)
            raise_for(rc, self.kernel_id, "send")
        self.mine = False
        self.outbound.notify()

    async def wait_active(self):
        while not self.is_active() and not self.should_terminate():
            await self.inbound.wait()

    # -- the kernel's thread -----------------------------------------
    def _main(self, ctx):
        try:
            self.rk_ctx = ctx
            self.ready.set()
            self.done.wait()
            if self.failure:
                _lib.lib.rk_ctx_error(ctypes.c_void_p(ctx), b"%s",
                                      self.failure.encode("utf-8", "replace"))
                return 1
            if self.terminating:
                # The actor may end the moment terminate is asked for, a
                # little before libringkernel's request reaches this
                # kernel: returning first would read as "main returned
                # before terminate".  The request follows; wait for it.
                until = time.monotonic() + 5.0
                while not _lib.lib.rk_ctx_should_terminate(ctx) and \
                        time.monotonic() < until:
                    time.sleep(0.0005)
            return 0
        except BaseException as e:    # never unwind into C
            why = f"{type(e).__name__}: {e}".encode("utf-8", "replace")
            _lib.lib.rk_ctx_error(ctypes.c_void_p(ctx), b"%s", why)
            return 1
