"""The exceptions of the reference API, and the one place that turns a
libringkernel error code into one of them."""
import asyncio

from . import _lib


class RingKernelError(Exception):
    """Base of every error this package raises."""


class KernelError(RingKernelError):
    pass


class KernelNotFoundError(KernelError):
    """No kernel of that id is launched (or registered, for launch)."""

    def __init__(self, kernel_id, available=None, detail=None):
        self.kernel_id = kernel_id
        self.available = list(available or [])
        msg = detail or f"Kernel '{kernel_id}' not found."
        if self.available:
            msg += f" Available kernels: {self.available}"
        super().__init__(msg)


class KernelStateError(KernelError):
    """The operation is not allowed in the kernel's current state."""

    def __init__(self, kernel_id, current_state, operation, detail=None):
        self.kernel_id = kernel_id
        self.current_state = current_state
        self.operation = operation
        super().__init__(detail or f"Cannot {operation} kernel "
                         f"'{kernel_id}' from state '{current_state}'")


class KernelAlreadyExistsError(KernelStateError):
    """launch() of an id that is already launched."""

    def __init__(self, kernel_id):
        super().__init__(kernel_id, "LAUNCHED", "launch",
                         f"Kernel '{kernel_id}' is already registered")


class KernelFailedError(KernelError):
    """The kernel failed (its code raised or returned an error)."""


class PluginError(KernelError):
    """A kernel's plugin could not be loaded."""


class QueueError(RingKernelError):
    pass


class QueueFullError(QueueError):
    """The kernel's input queue stayed full past the timeout."""

    def __init__(self, kernel_id, queue_size=None, detail=None):
        self.kernel_id = kernel_id
        self.queue_size = queue_size
        super().__init__(detail or f"Input queue for kernel '{kernel_id}' "
                         f"is full (size: {queue_size})")


class QueueTimeoutError(QueueError, asyncio.TimeoutError):
    """No message within the timeout; also an asyncio.TimeoutError."""

    def __init__(self, kernel_id, timeout, operation):
        self.kernel_id = kernel_id
        self.timeout = timeout
        self.operation = operation
        super().__init__(f"Timeout ({timeout}s) waiting to {operation} "
                         f"message for kernel '{kernel_id}'")


class MessageError(RingKernelError):
    pass


class MessageSerializationError(MessageError, ValueError):
    """A message does not fit the kernel's message type."""


class BackendError(RingKernelError):
    pass


class BackendNotAvailableError(BackendError):
    pass


def raise_for(rc, kernel_id, operation, state=None, timeout=None,
              detail=None):
    """Raise the exception of libringkernel error `rc` for `operation`
    on `kernel_id`; `detail` defaults to rk_errmsg() of this thread."""
    if detail is None:
        detail = _lib.errmsg()
    if rc == _lib.ENOTFOUND:
        raise KernelNotFoundError(kernel_id, detail=detail)
    if rc == _lib.ESTATE:
        raise KernelStateError(kernel_id, state or "?", operation, detail)
    if rc == _lib.EFULL:
        raise QueueFullError(kernel_id, detail=detail)
    if rc == _lib.ETIMEDOUT:
        raise QueueTimeoutError(kernel_id, timeout, operation)
    if rc == _lib.ESCHEMA:
        raise MessageSerializationError(detail)
    if rc == _lib.EPLUGIN:
        raise PluginError(detail)
    if rc == _lib.EBACKEND:
        raise BackendNotAvailableError(detail)
    if rc == _lib.EKERNEL:
        raise KernelFailedError(detail)
    if rc == _lib.ENOMEM:
        raise MemoryError(detail)
    raise RingKernelError(f"{operation} '{kernel_id}': "
                          f"{_lib.strerror(rc)}: {detail}")
