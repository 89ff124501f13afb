"""Hearing of a C kernel's output on the loop, without a thread.

A C kernel fills its output on its own thread, so a receive that finds
nothing must hear from another thread.  The receiver gives
libringkernel an eventfd (rk_output_notify_fd), which the loop watches
(add_reader); a receive that finds nothing arms it (rk_output_arm) and
waits, and the kernel's thread writes the eventfd once a message is
there, once per arming.  The loop then wakes the waiting receives,
which take what is ready, each on the loop, in the order they run.  No
message is ever taken off the loop, so none can be lost to a receive
cancelled meanwhile, and the output's depth and backpressure stay
exact.  Arming looks at the output after it is armed, so a message
that comes in between is either seen then or written for (the
argument is lib/port.h's).

The eventfd is made at the first wait, and taken back (the library
never writes it again) and closed when the kernel goes."""
import ctypes
import os

from . import _lib
from .wakeup import Wakeup


class Receiver:
    def __init__(self, rt, id_b):
        self.rt, self.id_b = rt, id_b
        self.ready = Wakeup()       # on the loop: output may be there
        self.fd = None
        self.loop = None            # the loop that watches fd
        self._ready = ctypes.c_int()

    def arm(self, loop):
        """Before a receive waits on `loop`: True when it need not (a
        message is there, or the call failed: the receive says why)."""
        if self.loop is not loop and not self._watch(loop):
            return True
        rc = _lib.lib.rk_output_arm(self.rt, self.id_b,
                                    ctypes.byref(self._ready))
        return rc != _lib.OK or self._ready.value != 0

    def _watch(self, loop):
        if self.fd is None:
            fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
            if _lib.lib.rk_output_notify_fd(self.rt, self.id_b,
                                            fd) != _lib.OK:
                os.close(fd)
                return False
            self.fd = fd
        if self.loop is not None and not self.loop.is_closed():
            self.loop.remove_reader(self.fd)
        loop.add_reader(self.fd, self._heard)
        self.loop = loop
        return True

    def _heard(self):
        try:
            os.eventfd_read(self.fd)
        except BlockingIOError:
            pass                    # read by an earlier wake-up
        self.ready.notify()

    def close(self):
        """The kernel is going: its eventfd taken back, then closed."""
        fd, self.fd = self.fd, None
        if fd is None:
            return
        _lib.lib.rk_output_notify_fd(self.rt, self.id_b, -1)
        if self.loop is not None and not self.loop.is_closed():
            self.loop.remove_reader(fd)
        self.loop = None
        os.close(fd)
        self.ready.notify()         # receives still waiting look again
