"""Where a message goes when the receive it was taken for was cancelled
(asyncio.wait_for, a task cancelled) while the take was under way, off
the loop: to another receive waiting now, else to the next one.  So a
cancelled receive never loses a message."""
import collections


class Handoff:
    def __init__(self):
        self.waiting = collections.deque()  # futures of receives waiting
        self.stash = collections.deque()    # taken, for the next receive

    def settle(self, fut, value, exc=None, taken=True):
        """On the loop: the outcome of the take made for `fut`: an
        exception, or a value that is a message when `taken`."""
        try:
            self.waiting.remove(fut)
        except ValueError:
            pass
        if not fut.done():
            if exc is not None:
                fut.set_exception(exc)
            else:
                fut.set_result(value)
            return
        if exc is not None or not taken:
            return          # no message, for a receive nobody waits for
        while self.waiting:
            other = self.waiting.popleft()
            if not other.done():
                other.set_result(value)
                return
        self.stash.append(value)
