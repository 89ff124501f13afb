"""One launched kernel as the runtime keeps it, and the paths of its
messages: made from Python values and back (codec.py, or handles for a
Python actor), sent and received without blocking the loop.

What can be done at once (a send with room in the queue, a receive with
a message ready) is one C call on the loop; a send that must wait for
room waits on a thread (blocking.py); a receive that must wait, on the
loop: for a Python actor's sends (wakeup.py), or for a C kernel's
thread to write the eventfd the loop watches (receiver.py)."""
import asyncio
import ctypes

from . import _lib
from .actor import HANDLE, handle_bytes
from .errors import (KernelFailedError, KernelStateError, QueueTimeoutError,
                     raise_for)
from .state import KernelState

ACTOR_MAX = HANDLE      # an actor's queues carry handles

# Looked up once: a send or receive of a small message costs a few
# microseconds, of which each attribute lookup is a part.
_send_env = _lib.lib.rk_send_env
_receive_env = _lib.lib.rk_receive_env


class Kernel:
    """What the runtime keeps of one launched kernel."""

    def __init__(self, runtime, kernel_id, link=None):
        self.rt = runtime._rt       # the rk_runtime it is launched in
        self.waits = runtime._waits
        self.kernel_id = kernel_id
        self.id_b = kernel_id.encode()
        self.link = link            # ActorLink of a Python actor, or None
        self.inside = self.outside = None   # codec.Side of a C kernel
        self.receiver = None        # its receives that wait
        self.buf = None             # the loop's receive buffer
        self.env = _lib.Envelope()  # the loop's send envelope
        self.env_in = _lib.Envelope()   # and receive envelope
        self.env_in_ref = ctypes.byref(self.env_in)
        self.n_in = ctypes.c_size_t()   # and received length
        self.n_in_ref = ctypes.byref(self.n_in)
        self.cap = ACTOR_MAX

    def encode(self, message):
        if self.link is not None:
            return handle_bytes(message, self.link.inbox)
        return None, self.inside.encode(message)

    def decode(self, env, data):
        if self.link is not None:
            h = int.from_bytes(data, "little")
            return self.link.outbox.pop(h)
        return self.outside.decode(data, env)

    def state_name(self):
        s = ctypes.c_int()
        if _lib.lib.rk_get_state(self.rt, self.id_b,
                                 ctypes.byref(s)) != _lib.OK:
            return "TERMINATED"
        return KernelState(s.value).name

    async def send(self, message, timeout):
        """Queue a message; with the queue full, wait up to the timeout
        (None: no limit) for room, then QueueFullError."""
        k = self
        h, data = k.encode(message)
        env = k.env         # the loop's own: only it sends from here
        p = getattr(message, "priority", 128)
        env.priority = p if type(p) is int and 0 <= p <= 255 else 128
        rc = _send_env(k.rt, k.id_b, env, data, len(data), 0.0)
        why = None
        if rc == _lib.EFULL and timeout != 0:
            env = _lib.Envelope.from_buffer_copy(env)
            rc, why = await k.waits.run(
                asyncio.get_running_loop(), call_rc, _lib.lib.rk_send_env,
                k.rt, k.id_b, env, data, len(data), seconds(timeout))
        if rc == _lib.OK and k.link is not None:
            k.link.inbound.notify()
        if rc != _lib.OK:
            if h is not None:
                k.link.inbox.pop(h, None)
            raise_for(rc, k.kernel_id, "send message", k.state_name(),
                      timeout, why)

    async def receive(self, timeout):
        """The next output message, or QueueTimeoutError."""
        if self.link is not None:
            return await self._receive_from_actor(timeout)
        return await self._receive_from_c(timeout)

    async def _receive_from_c(self, timeout):
        """A C kernel's output: take what is ready; else wait on the loop
        for the kernel's thread to say a message is there (receiver.py)."""
        k = self
        r, loop = k.receiver, asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        env, n = k.env_in, k.n_in
        while True:
            rc = _receive_env(k.rt, k.id_b, k.env_in_ref, k.buf, k.cap,
                              k.n_in_ref, 0.0)
            if rc == _lib.OK:
                return k.decode(env, k.buf.raw[:n.value])
            if rc != _lib.ETIMEDOUT:
                why = _lib.errmsg()
                break
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                raise QueueTimeoutError(k.kernel_id, timeout, "receive")
            if not r.arm(loop):
                await r.ready.wait(left)
        raise_for(rc, k.kernel_id, "receive message", k.state_name(),
                  timeout, why)

    async def _receive_from_actor(self, timeout):
        """A Python actor's output is filled on this loop: wait for its
        sends, not for a thread."""
        k = self
        link, loop = k.link, asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        env, n = _lib.Envelope(), ctypes.c_size_t()
        while True:
            rc = _lib.lib.rk_receive_env(k.rt, k.id_b, ctypes.byref(env),
                                         k.buf, k.cap, ctypes.byref(n), 0.0)
            if rc == _lib.OK:
                link.outbound.notify()      # room for the actor
                return k.decode(env, k.buf.raw[:n.value])
            left = None if deadline is None else deadline - loop.time()
            if rc != _lib.ETIMEDOUT or link.closed:
                break
            if left is not None and left <= 0:
                raise QueueTimeoutError(k.kernel_id, timeout, "receive")
            await link.outbound.wait(left)
        if rc == _lib.ETIMEDOUT and not link.closed:
            raise QueueTimeoutError(k.kernel_id, timeout, "receive")
        state = k.state_name()
        # The actor's end is known here before the kernel's state says
        # it (its thread sets FAILED a moment later).
        if rc == _lib.ETIMEDOUT and link.failure:
            raise KernelFailedError(f"kernel '{k.kernel_id}' failed: "
                                    f"{link.failure}")
        if rc == _lib.ETIMEDOUT:
            raise KernelStateError(k.kernel_id, state, "receive message",
                                   f"kernel '{k.kernel_id}': its actor has "
                                   f"ended and its output is empty")
        raise_for(rc, k.kernel_id, "receive message", state, timeout)


def seconds(t):
    """A Python timeout (None: no limit) as libringkernel's."""
    return _lib.FOREVER if t is None else max(float(t), 0.0)


def call_rc(fn, *args):
    """fn(*args) on a wait thread: its code, and rk_errmsg() of that
    thread (it is per thread) when it failed."""
    rc = fn(*args)
    return rc, (_lib.errmsg() if rc != _lib.OK else None)
