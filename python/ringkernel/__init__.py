"""ringkernel: the reference's RingKernelRuntime API (PyDotCompute) on
libringkernel.  Programs written for the reference run with only their
import changed:

    from ringkernel import RingKernelRuntime, ring_kernel, message
"""
from ._lib import lib as _lib_handle
from .ctx import KernelContext, KernelTerminating
from .decorators import is_ring_kernel, ring_kernel
from .errors import (BackendError, BackendNotAvailableError,
                     KernelAlreadyExistsError, KernelError,
                     KernelFailedError, KernelNotFoundError,
                     KernelStateError, MessageError,
                     MessageSerializationError, PluginError, QueueError,
                     QueueFullError, QueueTimeoutError, RingKernelError)
from .message import RingKernelMessage, message
from .runtime import RingKernelRuntime
from .state import KernelState
from .telemetry import RingKernelTelemetry

__version__ = _lib_handle.rk_version().decode()

__all__ = [
    "RingKernelRuntime", "ring_kernel", "message", "RingKernelMessage",
    "KernelState", "KernelContext", "KernelTerminating",
    "RingKernelTelemetry", "is_ring_kernel",
    "RingKernelError", "KernelError", "KernelNotFoundError",
    "KernelStateError", "KernelAlreadyExistsError", "KernelFailedError",
    "PluginError", "QueueError", "QueueFullError", "QueueTimeoutError",
    "MessageError", "MessageSerializationError", "BackendError",
    "BackendNotAvailableError",
]
