"""RingKernelRuntime: the reference's runtime API over libringkernel.

Each method is a coroutine where the reference's is, a plain call where
it is not.  Here: the runtime's lifetime, launching, state changes and
what is known of the kernels; a kernel's messages go by kernel.py.
State changes and terminate wait for the kernel on a thread
(blocking.py), never on the loop."""
import asyncio
import ctypes
import time
import warnings

from . import _lib
from .actor import ActorLink
from .blocking import Waits
from .codec import Side
from .decorators import BACKPRESSURE, registered, registered_ids
from .errors import (KernelAlreadyExistsError, KernelNotFoundError,
                     QueueFullError, RingKernelError, raise_for)
from .kernel import ACTOR_MAX, Kernel, call_rc, seconds
from .receiver import Receiver
from .state import KernelState
from .telemetry import RingKernelTelemetry

class RingKernelRuntime:
    """Hosts ring kernels: C kernels found by name on the plugin path,
    and Python actors (@ring_kernel, or a function given to launch).

    Beyond the reference's options: search_path (directories where C
    kernels are looked for first, as ringctl's --plugin-path; then
    $RINGCTL_PLUGIN_PATH, then the installed kernels),
    spin_us (how long a C kernel's thread stays awake after a message
    before it sleeps; libringkernel's default is 20: a host that sends
    its next message later than that meets a sleeping kernel, ~12 us
    to wake)."""

    def __init__(self, *, enable_telemetry=False, default_queue_size=1000,
                 backend="auto", search_path=None, spin_us=None,
                 use_uvloop=None, use_eager_tasks=None):
        # use_uvloop, use_eager_tasks: the reference's loop choices, taken
        # and left to the caller (the runtime runs on whatever loop runs
        # it).
        if backend not in _lib.BACKENDS:
            raise ValueError(f"backend must be one of "
                             f"{', '.join(_lib.BACKENDS)}, not {backend!r}")
        o = _lib.RuntimeOptions(
            struct_size=ctypes.sizeof(_lib.RuntimeOptions),
            telemetry=1 if enable_telemetry else 0,
            default_queue_size=default_queue_size,
            default_max_message=224, backend=_lib.BACKENDS[backend],
            spin_ns=int(spin_us * 1000) if spin_us else 0)
        rt = ctypes.c_void_p()
        rc = _lib.lib.rk_runtime_new(ctypes.byref(o), ctypes.byref(rt))
        if rc != _lib.OK:
            raise_for(rc, "", "create the runtime")
        self._rt = rt
        self._telemetry = bool(enable_telemetry)
        self._queue_size = default_queue_size
        self._search_path = _lib.search_path(search_path).encode()
        self._kernels = {}
        self._waits = Waits()
        self._started = time.monotonic()

    # -- lifetime ----------------------------------------------------
    async def __aenter__(self):
        return self

    async def __aexit__(self, exc_type, exc, tb):
        try:
            await self.shutdown()
        except RingKernelError:
            if exc_type is None:
                raise       # said, unless another error is on its way

    async def start(self):
        """For the reference's explicit start(): nothing to do."""

    async def shutdown(self, timeout=10.0):
        """Terminate every kernel, then free the runtime."""
        if self._rt is None:
            return
        try:
            await self.terminate_all(timeout=timeout)
        finally:
            for k in self._kernels.values():
                k.receiver.close()
                if k.link is not None:
                    k.link.quit()   # a kernel that did not stop: let go
            loop = asyncio.get_running_loop()
            rt, self._rt = self._rt, None
            # Waits still in C use the runtime: they end once their
            # kernels are gone; free it after them, off the loop.
            await loop.run_in_executor(None, self._close, rt)

    def _close(self, rt):
        # A thread still in C after every kernel was asked to stop waits
        # on a kernel that does not stop: the runtime then stays
        # allocated for good, as rk_runtime_free does for such kernels,
        # rather than be freed under it.
        if self._waits.join(timeout=5.0):
            _lib.lib.rk_runtime_free(rt)
        else:
            warnings.warn("ringkernel: a kernel did not stop; the runtime "
                          "is left allocated", RuntimeWarning)

    @property
    def is_active(self):
        return self._rt is not None

    def _check(self):
        if self._rt is None:
            raise RingKernelError("the runtime is shut down")

    def _kernel(self, kernel_id):
        self._check()
        k = self._kernels.get(kernel_id)
        if k is None:
            raise KernelNotFoundError(kernel_id, list(self._kernels))
        return k

    # -- launch ------------------------------------------------------
    async def launch(self, kernel_id, kernel_func=None, *, queue_size=None,
                     backpressure=None, input_type=None, output_type=None):
        """Phase 1: set up a kernel's queues, not yet processing.  The
        kernel is kernel_func (a Python actor), or the @ring_kernel of
        that id, or else the C kernel of that name on the plugin path.
        input_type and output_type, the reference's, are accepted: a C
        kernel's types are its own, an actor takes any object."""
        self._check()
        if kernel_id in self._kernels:
            raise KernelAlreadyExistsError(kernel_id)
        meta = registered(kernel_id) if kernel_func is None else None
        func = kernel_func or (meta and meta["func"])
        o = _lib.LaunchOptions(struct_size=ctypes.sizeof(_lib.LaunchOptions))
        o.queue_size = queue_size or (meta and meta["queue_size"]) or 0
        bp = backpressure or (meta and meta["backpressure"]) or "block"
        if bp not in BACKPRESSURE:
            raise ValueError(f"backpressure must be one of "
                             f"{', '.join(BACKPRESSURE)}, not {bp!r}")
        o.input_policy = BACKPRESSURE[bp]
        if func is not None:
            k = Kernel(self, kernel_id, ActorLink(
                self, kernel_id, func, o.queue_size or self._queue_size))
            o.max_message = ACTOR_MAX
            desc = ctypes.byref(k.link.desc)
        else:
            desc = self._resolve(kernel_id)
            k = Kernel(self, kernel_id)
        rc = _lib.lib.rk_launch(self._rt, k.id_b, desc, ctypes.byref(o))
        if rc != _lib.OK:
            if rc == _lib.ESTATE:
                raise KernelAlreadyExistsError(kernel_id)
            raise_for(rc, kernel_id, "launch")
        if k.link is None:
            info = _lib.KernelInfo()
            _lib.lib.rk_get_kernel_info(self._rt, k.id_b, ctypes.byref(info))
            d = info.desc.contents
            k.inside = Side(d.input_type, info.max_message)
            k.cap = (d.output_type.contents.size
                     if d.output_type and d.output_type.contents.fields
                     else info.max_message) or 1
            k.outside = Side(d.output_type, k.cap)
        k.buf = ctypes.create_string_buffer(k.cap)
        k.receiver = Receiver(self._rt, k.id_b)
        self._kernels[kernel_id] = k
        if k.link is not None:
            # Its thread is starting; its ctx is needed from activate on.
            loop = asyncio.get_running_loop()
            if not await self._waits.run(loop, k.link.ready.wait, 10.0):
                await self.terminate(kernel_id, timeout=1.0)
                raise RingKernelError(f"kernel '{kernel_id}' did not start")
        return k

    def _resolve(self, name):
        desc = ctypes.POINTER(_lib.KernelDesc)()
        rc = _lib.lib.rk_resolve_kernel(self._rt, name.encode(),
                                        self._search_path,
                                        ctypes.byref(desc))
        if rc == _lib.ENOTFOUND:
            raise KernelNotFoundError(
                name, registered_ids(),
                f"Kernel '{name}' not found: no @ring_kernel of that id, "
                f"and no C kernel of that name on the plugin path "
                f"({self._search_path.decode() or 'empty'}).")
        if rc != _lib.OK:
            raise_for(rc, name, "launch")
        return desc

    # -- state changes -----------------------------------------------
    async def _command(self, kernel_id, fn, operation):
        k = self._kernel(kernel_id)
        loop = asyncio.get_running_loop()
        fut = self._waits.run(loop, call_rc, fn, self._rt, k.id_b)
        if k.link is not None:
            # A state change waits for the kernel to confirm it, which a
            # Python actor's ctx calls do, on the loop; the actor may be
            # busy elsewhere, so look for it until confirmed (the first
            # look after the request is made confirms it; the waits
            # between looks grow from 50 us).
            pause = 0.00005
            while not fut.done():
                k.link.look()
                await asyncio.wait({fut}, timeout=pause)
                pause = min(pause * 2, 0.01)
            k.link.changed()
        rc, why = await fut
        if rc != _lib.OK:
            raise_for(rc, kernel_id, operation, k.state_name(), None,
                      why)
        return k

    async def activate(self, kernel_id):
        """Phase 2: start processing (LAUNCHED -> ACTIVE)."""
        k = await self._command(kernel_id, _lib.lib.rk_activate, "activate")
        if k.link is not None:
            k.link.start(asyncio.get_running_loop())

    async def deactivate(self, kernel_id):
        """Pause (ACTIVE -> DEACTIVATED): messages still queue, none is
        processed; returns once processing has stopped."""
        await self._command(kernel_id, _lib.lib.rk_deactivate, "deactivate")

    async def reactivate(self, kernel_id):
        """Resume (DEACTIVATED -> ACTIVE): what queued is processed."""
        await self._command(kernel_id, _lib.lib.rk_reactivate, "reactivate")

    async def terminate(self, kernel_id, timeout=5.0):
        """Stop a kernel: what is queued is processed until the timeout
        (an active kernel drains), then its resources go."""
        k = self._kernel(kernel_id)
        loop = asyncio.get_running_loop()
        link = k.link
        if link is not None:
            link.terminating = True
            link.changed()
            if link.task is None:
                link.quit()
        fut = self._waits.run(loop, call_rc, _lib.lib.rk_terminate,
                              self._rt, k.id_b, seconds(timeout))
        rc, why = await fut
        if rc == _lib.ETIMEDOUT and link is not None and link.task:
            # The actor did not end in time: cancel it, as the
            # reference does, and collect the kernel.
            link.task.cancel()
            await asyncio.wait({link.task}, timeout=1.0)
            rc, why = await self._waits.run(loop, call_rc,
                                            _lib.lib.rk_terminate,
                                            self._rt, k.id_b, 1.0)
        if rc in (_lib.OK, _lib.ENOTFOUND):
            self._kernels.pop(kernel_id, None)
            k.receiver.close()
            if link is not None:
                link.quit()
                link.inbox.clear()
                link.outbox.clear()
        if rc != _lib.OK:
            raise_for(rc, kernel_id, "terminate", k.state_name(),
                      timeout, why)

    async def terminate_all(self, *, timeout=10.0):
        """Terminate every kernel, together, each within the timeout;
        the first failure is raised once all were tried."""
        self._check()
        results = await asyncio.gather(
            *(self.terminate(i, timeout=timeout) for i in list(self._kernels)),
            return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException):
                raise r

    # -- messages ----------------------------------------------------
    async def send(self, kernel_id, message, *, timeout=None):
        """Queue a message for the kernel; with the queue full, wait up to
        the timeout (None: no limit) for room, then QueueFullError."""
        await self._kernel(kernel_id).send(message, timeout)

    async def send_batch(self, kernel_id, messages, *, timeout=None):
        """Send messages in order; returns how many went in before the
        timeout (one deadline for the batch) found the queue full."""
        k = self._kernel(kernel_id)
        deadline = None if timeout is None else time.monotonic() + timeout
        sent = 0
        for m in messages:
            left = None if deadline is None else \
                max(deadline - time.monotonic(), 0.0)
            try:
                await k.send(m, left)
            except QueueFullError:
                break
            sent += 1
        return sent

    async def receive(self, kernel_id, *, timeout=None):
        """The kernel's next output message; asyncio.TimeoutError (a
        QueueTimeoutError) if none within the timeout (None: no
        limit)."""
        return await self._kernel(kernel_id).receive(timeout)

    async def send_and_receive(self, kernel_id, message, *, timeout=None):
        await self.send(kernel_id, message, timeout=timeout)
        return await self.receive(kernel_id, timeout=timeout)

    # -- what is known -----------------------------------------------
    @property
    def kernel_ids(self):
        """The launched kernels' ids, in the order they were launched."""
        return list(self._kernels)

    def active_kernels(self):
        """The ids of the kernels that are ACTIVE now, sorted."""
        self._check()
        rc, ids = _lib.ids_from(_lib.lib.rk_active_kernels, self._rt)
        if rc != _lib.OK:
            raise_for(rc, "", "list")
        return ids

    def get_state(self, kernel_id):
        k = self._kernel(kernel_id)
        s = ctypes.c_int()
        rc = _lib.lib.rk_get_state(self._rt, k.id_b, ctypes.byref(s))
        if rc == _lib.ENOTFOUND:
            return KernelState.TERMINATED
        if rc != _lib.OK:
            raise_for(rc, kernel_id, "get the state of")
        return KernelState(s.value)

    get_kernel_state = get_state

    def get_telemetry(self, kernel_id):
        """The kernel's telemetry, or None when telemetry is off."""
        if not self._telemetry:
            return None
        k = self._kernel(kernel_id)
        t = _lib.Telemetry()
        rc = _lib.lib.rk_get_telemetry(self._rt, k.id_b, ctypes.byref(t))
        if rc != _lib.OK:
            raise_for(rc, kernel_id, "get the telemetry of")
        return RingKernelTelemetry.from_c(kernel_id, t)

    def get_all_telemetry(self):
        if not self._telemetry:
            return {}
        return {i: self.get_telemetry(i) for i in self._kernels}

    def get_summary(self):
        """Totals over the kernels (zeros but the count with telemetry
        off, as the reference)."""
        self._check()
        s = _lib.Summary()
        rc = _lib.lib.rk_get_summary(self._rt, ctypes.byref(s))
        if rc != _lib.OK or not self._telemetry:
            return {"kernel_count": len(self._kernels),
                    "total_messages_processed": 0,
                    "total_messages_dropped": 0, "total_errors": 0}
        return {"kernel_count": s.kernel_count,
                "active_count": s.active_count,
                "total_messages_processed": s.total_processed,
                "total_messages_dropped": s.total_dropped,
                "total_errors": s.total_errors,
                "uptime_seconds": s.uptime_s,
                "gpu_utilization": (None if s.gpu_utilization < 0
                                    else s.gpu_utilization)}

    def __repr__(self):
        return (f"RingKernelRuntime(active={self.is_active}, "
                f"kernels={len(self._kernels)}, "
                f"telemetry={self._telemetry})")
