"""The context a Python actor is given: the reference's ctx API.

    while not ctx.should_terminate:
        if not ctx.is_active:
            await ctx.wait_active()
            continue
        msg = await ctx.receive(timeout=0.1)
        await ctx.send(reply)

It holds no queue of its own: every call goes to a link, which reads
and writes the kernel's libringkernel queues (actor.ActorLink, for an
actor on the caller's event loop; another link can serve an actor in a
worker process).  A link provides receive(timeout), send(message) and
wait_active() as coroutines, is_active() and should_terminate() as
plain calls."""


class KernelTerminating(Exception):
    """Raised inside an actor by a ctx call once its kernel is being
    terminated: no message will come.  An actor that lets it escape
    ends as cleanly as one that checks ctx.should_terminate."""


class KernelContext:
    __slots__ = ("kernel_id", "_link")

    def __init__(self, kernel_id, link):
        self.kernel_id = kernel_id
        self._link = link

    @property
    def should_terminate(self):
        """True once the kernel is asked to stop (or has failed)."""
        return self._link.should_terminate()

    @property
    def is_active(self):
        """True while the kernel is ACTIVE (not launched-only, not
        deactivated)."""
        return self._link.is_active()

    async def receive(self, timeout=None):
        """The next input message; asyncio.TimeoutError (a
        QueueTimeoutError) when none comes within `timeout` seconds
        (None: no limit).  While deactivated no message is handed out:
        they stay queued."""
        return await self._link.receive(timeout)

    async def send(self, message):
        """Put a message on the kernel's output queue, waiting for room
        as the kernel's backpressure says."""
        await self._link.send(message)

    async def wait_active(self):
        """Wait until the kernel is active again, or is terminating."""
        await self._link.wait_active()

    def __repr__(self):
        return f"KernelContext(kernel_id={self.kernel_id!r})"
