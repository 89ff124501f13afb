"""Blocking libringkernel calls, off the event loop.

A call that may wait (a send into a full queue, a state change the
kernel must confirm, a terminate, the watch on a C kernel's output)
runs on a thread of its own, with the GIL released by ctypes while it
waits in C; the loop hears of the result through call_soon_threadsafe.
A thread per wait, not a pool: a pool of N threads would make the N+1st
waiter start late and so overrun its timeout, and could deadlock
waiters that hold every thread against those they wait for.  The fast
path never comes here: callers first try once without waiting, on the
loop.

Every thread is remembered until it ends, so that the runtime can wait
for them before it frees what they use."""
import threading
import time


class Waits:
    def __init__(self):
        self._live = set()
        self._lock = threading.Lock()

    def run(self, loop, fn, *args):
        """A future of fn(*args) run on a new thread."""
        fut = loop.create_future()

        def settle(ok, value):
            if fut.cancelled():
                pass        # nobody waits for it
            elif ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)

        def body():
            try:
                value, ok = fn(*args), True
            except BaseException as e:  # noqa: B902 - handed to the loop
                value, ok = e, False
            try:
                loop.call_soon_threadsafe(settle, ok, value)
            except RuntimeError:
                pass        # the loop is closed: nobody waits any more
            finally:
                with self._lock:
                    self._live.discard(t)

        t = threading.Thread(target=body, name="ringkernel-wait",
                             daemon=True)
        with self._lock:
            self._live.add(t)
        t.start()
        return fut

    def join(self, timeout=None):
        """Wait (a blocking call) up to `timeout` seconds in all for every
        wait thread to end; whether they all did."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            live = list(self._live)
        for t in live:
            t.join(None if deadline is None
                   else max(deadline - time.monotonic(), 0.0))
        return not any(t.is_alive() for t in live)
