"""The receives from one kernel that must wait: one thread waits in C
for all of them, while any is waiting, and hands each message to the
oldest.

A thread that is already waiting when the reply comes saves starting
one per receive (most of a round trip's cost), and a thousand waiting
receivers cost one thread, not a thousand.  Each receiver's timeout is
a timer on the loop, so that it is honoured whatever the thread waits
for; the thread waits no longer than the latest deadline, so that it
takes nothing once nobody waits (unless a receiver without a timeout
was cancelled: then what it takes goes to the next receive).  A message
taken for a receiver that has gone meanwhile goes to the next one, or
to the stash the next receive reads first: none is lost."""
import collections
import ctypes
import threading
import time

from . import _lib

TIMED_OUT = (_lib.ETIMEDOUT, None, None, None)
IDLE_S = 0.5        # how long the thread outlives its last receiver


class Receiver:
    def __init__(self, waits, rt, id_b, cap):
        self.waits, self.rt, self.id_b, self.cap = waits, rt, id_b, cap
        self.waiting = collections.deque()  # (future, deadline or None)
        self.stash = collections.deque()    # taken, for the next receive
        self.lock = threading.Lock()        # waiting, running
        self.more = threading.Condition(self.lock)  # waiting grew
        self.running = False
        self.closed = False
        self.loop = None

    def wait(self, loop, timeout):
        """A future of (rc, envelope, data, why) for the next message."""
        self.loop = loop
        fut = loop.create_future()
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.lock:
            self.waiting.append((fut, deadline))
            start, self.running = not self.running, True
            self.more.notify()
        if timeout is not None:
            loop.call_later(timeout, self._expire, fut)
        if start:
            self.waits.run(loop, self._pump)
        return fut

    def close(self):
        """The kernel is gone: an idle thread need not stay."""
        with self.lock:
            self.closed = True
            self.more.notify()

    # -- on the loop -------------------------------------------------
    def _expire(self, fut):
        if not fut.done():
            fut.set_result(TIMED_OUT)

    def _hand(self, fut, result):
        if fut is not None and not fut.done():
            fut.set_result(result)
            return
        with self.lock:
            nxt = self._claim()
        if nxt is not None:
            nxt.set_result(result)
        else:
            self.stash.append(result)

    def _fail(self, futs, result):
        for f in futs:
            if not f.done():
                f.set_result(result)

    # -- on the thread -----------------------------------------------
    def _claim(self):
        """The oldest receiver still waiting, taken off the list."""
        while self.waiting:
            fut, _ = self.waiting.popleft()
            if not fut.done():
                return fut
        return None

    def _live(self):
        self.waiting = collections.deque(
            (f, d) for f, d in self.waiting if not f.done())
        return list(self.waiting)

    def _pump(self):
        env = _lib.Envelope()
        buf = ctypes.create_string_buffer(self.cap)
        n = ctypes.c_size_t()
        while True:
            with self.lock:
                live = self._live()
                if not live and not self.closed:
                    # The next receive comes soon after this one, as a
                    # rule: stay a while for it rather than start anew.
                    self.more.wait(IDLE_S)
                    live = self._live()
                if not live:
                    self.running = False
                    return
                ds = [d for _, d in live]
                timeout = _lib.FOREVER if None in ds else \
                    max(max(ds) - time.monotonic(), 0.0)
            rc = _lib.lib.rk_receive_env(self.rt, self.id_b,
                                         ctypes.byref(env), buf, self.cap,
                                         ctypes.byref(n), timeout)
            if rc == _lib.ETIMEDOUT:
                continue
            if rc == _lib.OK:
                result = (rc, _lib.Envelope.from_buffer_copy(env),
                          buf.raw[:n.value], None)
                with self.lock:
                    fut = self._claim()
                self._post(self._hand, fut, result)
                continue
            result = (rc, None, None, _lib.errmsg())
            with self.lock:
                futs = [f for f, _ in self.waiting]
                self.waiting.clear()
                self.running = False
            self._post(self._fail, futs, result)
            return

    def _post(self, fn, *args):
        try:
            self.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:
            pass        # the loop is closed: nobody waits any more
