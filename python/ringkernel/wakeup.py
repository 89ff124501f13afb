"""A wake-up on the event loop: coroutines wait for something to change
(a queue they read got a message, or room), whoever changes it
notifies.  The check itself is the waiter's, so a wake-up for nothing
costs one look, and one that comes before the wait is not needed:
the waiter looks before it waits."""
import asyncio


class Wakeup:
    __slots__ = ("_waiters",)

    def __init__(self):
        self._waiters = []

    async def wait(self, timeout=None):
        """Until notify() or the timeout (None: none)."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self._waiters.append(fut)
        timer = None if timeout is None else \
            loop.call_later(timeout, _wake, fut)
        try:
            await fut
        finally:
            if timer is not None:
                timer.cancel()
            if not fut.done():
                fut.cancel()

    def notify(self):
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            _wake(fut)


def _wake(fut):
    if not fut.done():
        fut.set_result(None)
