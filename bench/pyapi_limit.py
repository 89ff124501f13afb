"""The limit for the reference's API in this Python: a runtime whose
only kernel, the doubler, runs inside send (no thread, no task, no
queue but a deque), and messages that are plain objects of the declared
fields (no uuid, no envelope).  Nothing that implements the API can
cost less per message, so it bounds what any runtime (ringkernel,
pydotcompute) can reach from Python:
    python3 bench/pydotcompute-bench.py --impl limit
It is not a runtime: it runs this benchmark and nothing else."""
import asyncio
import sys
from collections import deque

__version__ = sys.version.split()[0]   # the Python it measures


def message(cls):
    names = list(getattr(cls, "__annotations__", {}))

    def __init__(self, **kw):
        for n in names:
            setattr(self, n, kw.get(n))
    cls.__init__ = __init__
    return cls


_kernels = {}


class _Ctx:
    def __init__(self, out):
        self.out = out


def ring_kernel(kernel_id, input_type=None, output_type=None, **kw):
    def wrap(fn):
        _kernels[kernel_id] = (fn, output_type)
        return fn
    return wrap


class RingKernelRuntime:
    def __init__(self, **kw):
        self._out = {}
        self._fn = {}
        self._waiter = {}

    async def __aenter__(self):
        return self

    async def __aexit__(self, *a):
        return False

    async def launch(self, kernel_id, kernel_func=None, **kw):
        self._out[kernel_id] = deque()
        fn, out_type = _kernels[kernel_id]
        # The benchmark's doubler, as a plain function of one message.
        self._fn[kernel_id] = lambda m, T=out_type: T(result=m.value * 2)

    async def activate(self, kernel_id):
        pass

    async def terminate(self, kernel_id, timeout=5.0):
        pass

    async def send(self, kernel_id, message, *, timeout=None):
        self._out[kernel_id].append(self._fn[kernel_id](message))
        w = self._waiter.pop(kernel_id, None)
        if w is not None and not w.done():
            w.set_result(None)

    async def receive(self, kernel_id, *, timeout=None):
        q = self._out[kernel_id]
        while not q:
            w = asyncio.get_running_loop().create_future()
            self._waiter[kernel_id] = w
            await w
        return q.popleft()
