"""Hearing of a C kernel's output on the loop.

A C kernel fills its output on its own thread, so a receive that finds
nothing must wait for another thread.  One thread per kernel, the
watcher, waits in C for the output to have a message, without taking
it (rk_receive_batch whose callback leaves the message queued), and
wakes the loop; the receives waiting there then take what is ready,
each on the loop, in the order they run.  No message is ever taken off
the loop, so none can be lost to a receive cancelled meanwhile, and
the output's depth and backpressure stay exact.

The watcher watches while the loop expects output: while a receive
waits, and from each send on (a reply is on its way, and a watcher
already waiting in C hears of it at once: ~15 us less per round trip
than one woken for the receive).  It hears of a message, says so, and
watches again only when asked; after IDLE_S with nothing expected it
ends, and the next receive or send starts one again."""
import ctypes
import threading

from . import _lib
from .wakeup import Wakeup

IDLE_S = 0.5        # how long the watcher outlives the last expectation

_LEAVE = _lib.RECEIVE_FN(lambda arg, env, data, length: 1)


class Receiver:
    def __init__(self, waits, rt, id_b):
        self.waits, self.rt, self.id_b = waits, rt, id_b
        self.ready = Wakeup()       # on the loop: output may be there
        self.lock = threading.Lock()
        self.asked = threading.Condition(self.lock)
        self.want = False           # the loop expects output
        self.running = False
        self.closed = False
        self.loop = None

    def expect(self, loop):
        """The loop expects output: have the watcher watch for it."""
        with self.lock:
            self.loop = loop
            self.want = True
            start, self.running = not self.running, True
            self.asked.notify()
        if start:
            self.waits.run(loop, self._watch)

    def close(self):
        """The kernel is gone: the watcher need not stay."""
        with self.lock:
            self.closed = True
            self.asked.notify()

    def _watch(self):
        count = ctypes.c_size_t()
        while True:
            with self.lock:
                if not self.want and not self.closed:
                    self.asked.wait(IDLE_S)
                if self.closed or not self.want:
                    self.running = False
                    return
                self.want = False
                loop = self.loop
            rc = _lib.lib.rk_receive_batch(self.rt, self.id_b, 1,
                                           _lib.FOREVER, _LEAVE, None,
                                           ctypes.byref(count))
            try:
                loop.call_soon_threadsafe(self.ready.notify)
            except RuntimeError:
                rc = _lib.EINVAL    # the loop is closed: nobody waits
            if rc != _lib.OK:       # ended, terminated: receives say why
                with self.lock:
                    self.running = False
                return
