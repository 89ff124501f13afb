"""libringkernel through ctypes: the library found, its structures and
the prototypes of the functions this package calls.

No compiler is needed at import time.  The library is looked for, in
order: $RINGKERNEL_LIBRARY (a path: the build tree's, for tests run
uninstalled), the library directory configure recorded in _paths.py
at `make install`, then ctypes.util.find_library("ringkernel").
"""
import ctypes
import ctypes.util
import os

try:
    from . import _paths
except ImportError:         # installed by pip, not by `make install`
    _paths = None

c_u8, c_u16, c_u32, c_u64 = (ctypes.c_uint8, ctypes.c_uint16,
                             ctypes.c_uint32, ctypes.c_uint64)
c_p = ctypes.c_void_p

FOREVER = -1.0              # RK_FOREVER

# rk_error
OK, ENOTFOUND, ESTATE, EFULL, ETIMEDOUT, EINVAL, ESCHEMA, EPLUGIN, \
    EBACKEND, ENOMEM, ENODATA, EKERNEL, EEND, ECONFIG = range(14)

# rk_backend
BACKENDS = {"auto": 0, "cpu": 1, "cuda": 2}

# rk_kind, and the struct module's letter of each number kind
KIND_BOOL, KIND_STRING = 1, 12
KIND_FORMAT = {1: "?", 2: "b", 3: "h", 4: "i", 5: "q", 6: "B", 7: "H",
               8: "I", 9: "Q", 10: "f", 11: "d"}


class Envelope(ctypes.Structure):
    _fields_ = [("message_id", c_u64), ("correlation_id", c_u64),
                ("enqueue_ns", c_u64), ("type_tag", c_u16),
                ("priority", c_u8)]


class Msg(ctypes.Structure):            # rk_msg
    _fields_ = [("data", c_p), ("len", ctypes.c_size_t),
                ("message_id", c_u64), ("correlation_id", c_u64),
                ("enqueue_ns", c_u64), ("type_tag", c_u16),
                ("priority", c_u8)]


class Field(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("kind", ctypes.c_int),
                ("offset", c_u32), ("count", c_u32),
                ("length_offset", ctypes.c_int32)]


class Type(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("size", c_u32),
                ("n_fields", c_u32), ("fields", ctypes.POINTER(Field))]


MAIN_FN = ctypes.CFUNCTYPE(ctypes.c_int, c_p)
# rk_receive_fn(arg, env, data, len): 0 takes the message, else leaves it.
RECEIVE_FN = ctypes.CFUNCTYPE(ctypes.c_int, c_p, c_p, c_p, ctypes.c_size_t)


class KernelDesc(ctypes.Structure):
    _fields_ = [("abi_version", c_u32), ("struct_size", c_u32),
                ("name", ctypes.c_char_p), ("description", ctypes.c_char_p),
                ("input_type", ctypes.POINTER(Type)),
                ("output_type", ctypes.POINTER(Type)),
                ("params", c_p), ("init", c_p), ("fini", c_p),
                ("process", c_p), ("process_batch", c_p),
                ("main", MAIN_FN), ("flush", c_p), ("device", c_p)]


PLUGIN_ABI_VERSION = 1


class RuntimeOptions(ctypes.Structure):
    _fields_ = [("struct_size", c_u32), ("telemetry", ctypes.c_int),
                ("default_queue_size", c_u32),
                ("default_max_message", c_u32), ("backend", ctypes.c_int),
                ("spin_ns", c_u32), ("on_kernel_error", c_p),
                ("on_kernel_error_arg", c_p), ("on_kernel_fault", c_p),
                ("on_kernel_fault_arg", c_p), ("cuda_module", ctypes.c_char_p),
                ("cuda_device", ctypes.c_int),
                ("device_timeout_s", ctypes.c_double),
                ("device_pool_mb", c_u32), ("no_device_links", ctypes.c_int)]


class LaunchOptions(ctypes.Structure):
    _fields_ = [("struct_size", c_u32), ("kernel", ctypes.c_char_p),
                ("queue_size", c_u32), ("max_message", c_u32),
                ("input_policy", ctypes.c_int),
                ("output_policy", ctypes.c_int), ("on_error", ctypes.c_int),
                ("backend", ctypes.c_int), ("params", c_p),
                ("replicas", c_u32)]


class QueueStats(ctypes.Structure):
    _fields_ = [(n, c_u64) for n in ("depth", "high_water", "capacity",
                                     "dropped", "rejected")]


class Telemetry(ctypes.Structure):
    _fields_ = [("messages_received", c_u64), ("messages_processed", c_u64),
                ("messages_sent", c_u64), ("messages_dropped", c_u64),
                ("errors", c_u64), ("last_error", ctypes.c_char * 128),
                ("input", QueueStats), ("output", QueueStats),
                ("latency_count", c_u64), ("latency_min_ns", c_u64),
                ("latency_avg_ns", c_u64), ("latency_p50_ns", c_u64),
                ("latency_p99_ns", c_u64), ("latency_max_ns", c_u64),
                ("throughput", ctypes.c_double), ("uptime_s", ctypes.c_double),
                ("state", ctypes.c_int), ("backend", ctypes.c_int),
                ("device", ctypes.c_char * 64),
                ("device_memory_total", c_u64), ("device_memory_free", c_u64),
                ("device_heartbeat", c_u64), ("device_batches", c_u64),
                ("device_threads", c_u32),
                ("device_utilization", ctypes.c_int32),
                ("device_temperature", ctypes.c_int32),
                ("device_power_mw", ctypes.c_int32),
                ("device_link_from", ctypes.c_char * 64),
                ("device_link_to", ctypes.c_char * 64),
                ("device_mode", ctypes.c_char * 16)]


class Summary(ctypes.Structure):
    _fields_ = [("kernel_count", c_u64), ("active_count", c_u64),
                ("total_processed", c_u64), ("total_dropped", c_u64),
                ("total_errors", c_u64), ("uptime_s", ctypes.c_double),
                ("gpu_utilization", ctypes.c_double)]


class KernelInfo(ctypes.Structure):
    _fields_ = [("desc", ctypes.POINTER(KernelDesc)), ("replicas", c_u32),
                ("state", ctypes.c_int), ("backend", ctypes.c_int),
                ("last_error", ctypes.c_char * 128), ("max_message", c_u32)]


def _candidates():
    env = os.environ.get("RINGKERNEL_LIBRARY")
    if env:
        yield env
        return              # asked for that one: no other may stand in
    if _paths is not None and _paths.LIBDIR:
        yield os.path.join(_paths.LIBDIR, "libringkernel.so.0")
    found = ctypes.util.find_library("ringkernel")
    if found:
        yield found


def _load():
    tried = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path}: {e}")
    raise ImportError("ringkernel: libringkernel not found (" +
                      ("; ".join(tried) or "set RINGKERNEL_LIBRARY") + ")")


lib = _load()

_I, _S, _P = ctypes.c_int, ctypes.c_char_p, c_p
_D, _Z = ctypes.c_double, ctypes.c_size_t
_PZ = ctypes.POINTER(ctypes.c_size_t)
_PROTOS = {
    "rk_strerror": (_S, [_I]),
    "rk_errmsg": (_S, []),
    "rk_version": (_S, []),
    "rk_state_name": (_S, [_I]),
    "rk_runtime_new": (_I, [ctypes.POINTER(RuntimeOptions), _P]),
    "rk_runtime_free": (None, [_P]),
    "rk_resolve_kernel": (_I, [_P, _S, _S, _P]),
    "rk_launch": (_I, [_P, _S, _P, ctypes.POINTER(LaunchOptions)]),
    "rk_activate": (_I, [_P, _S]),
    "rk_deactivate": (_I, [_P, _S]),
    "rk_reactivate": (_I, [_P, _S]),
    "rk_terminate": (_I, [_P, _S, _D]),
    "rk_send_env": (_I, [_P, _S, ctypes.POINTER(Envelope), _P, _Z, _D]),
    "rk_receive_env": (_I, [_P, _S, ctypes.POINTER(Envelope), _P, _Z, _PZ,
                            _D]),
    "rk_receive_batch": (_I, [_P, _S, _Z, _D, RECEIVE_FN, _P, _PZ]),
    "rk_output_notify_fd": (_I, [_P, _S, ctypes.c_int]),
    "rk_output_arm": (_I, [_P, _S, ctypes.POINTER(ctypes.c_int)]),
    "rk_json_decode": (_I, [ctypes.POINTER(Type), _P, _Z, _Z, _P, _Z, _PZ]),
    "rk_json_encode": (_I, [ctypes.POINTER(Type), _P, _Z, _P, _Z, _PZ]),
    "rk_json_max_encoded": (_Z, [ctypes.POINTER(Type)]),
    "rk_get_kernel_info": (_I, [_P, _S, ctypes.POINTER(KernelInfo)]),
    "rk_get_state": (_I, [_P, _S, ctypes.POINTER(_I)]),
    "rk_kernel_ids": (_I, [_P, _P, _PZ]),
    "rk_active_kernels": (_I, [_P, _P, _PZ]),
    "rk_free_ids": (None, [_P, _Z]),
    "rk_get_telemetry": (_I, [_P, _S, ctypes.POINTER(Telemetry)]),
    "rk_get_summary": (_I, [_P, ctypes.POINTER(Summary)]),
    "rk_ctx_receive": (_I, [_P, ctypes.POINTER(Msg), _D]),
    "rk_ctx_send": (_I, [_P, _P, _Z]),
    "rk_ctx_reply": (_I, [_P, _P, _Z]),
    "rk_ctx_should_terminate": (ctypes.c_bool, [_P]),
    "rk_ctx_is_active": (ctypes.c_bool, [_P]),
    "rk_ctx_wait_active": (_I, [_P, _D]),
}
for _name, (_res, _args) in _PROTOS.items():
    _f = getattr(lib, _name)
    _f.restype, _f.argtypes = _res, _args
# rk_ctx_error(ctx, fmt, ...) is variadic: called as (ctx, b"%s", text).
lib.rk_ctx_error.restype = None


def errmsg():
    """Why the last call of this thread failed, in libringkernel's words."""
    return lib.rk_errmsg().decode("utf-8", "replace")


def strerror(rc):
    return lib.rk_strerror(rc).decode()


def ids_from(fn, rt):
    """The ids an rk_kernel_ids-like call gives, as a list of str."""
    arr = ctypes.POINTER(ctypes.c_char_p)()
    n = ctypes.c_size_t()
    rc = fn(rt, ctypes.byref(arr), ctypes.byref(n))
    if rc != OK:
        return rc, []
    out = [arr[i].decode() for i in range(n.value)]
    lib.rk_free_ids(arr, n)
    return OK, out


def search_path(first=None):
    """Where kernels are found by name, as ringctl finds them: `first`
    (its --plugin-path), $RINGCTL_PLUGIN_PATH, then the installed
    kernels directory."""
    parts = [first or "", os.environ.get("RINGCTL_PLUGIN_PATH", "")]
    if _paths is not None and _paths.KERNELSDIR:
        parts.append(_paths.KERNELSDIR)
    return ":".join(p for p in parts if p)
