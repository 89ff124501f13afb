"""@ring_kernel: register a Python actor under a kernel id, so that
runtime.launch(kernel_id) finds it (before any C kernel of that
name)."""
import functools

_registry = {}

BACKPRESSURE = {"block": 0, "reject": 1, "drop_oldest": 2, "drop_newest": 3}


def ring_kernel(func=None, *, kernel_id=None, input_type=None,
                output_type=None, queue_size=None, input_queue_size=None,
                output_queue_size=None, backpressure="block",
                auto_register=True, grid_size=1, block_size=256):
    """Declare an actor: `async def f(ctx)`.  kernel_id defaults to the
    function's name; queue_size sizes both queues (None: the runtime's
    default); backpressure is what a sender meets on a full input
    queue: "block", "reject", "drop_oldest" or "drop_newest".  The
    reference's grid_size and block_size are accepted and unused."""
    if backpressure not in BACKPRESSURE:
        raise ValueError(f"backpressure must be one of "
                         f"{', '.join(BACKPRESSURE)}, not {backpressure!r}")

    def wrap(fn):
        meta = {
            "kernel_id": kernel_id or fn.__name__,
            "func": fn,
            "input_type": input_type,
            "output_type": output_type,
            "queue_size": input_queue_size or queue_size,
            "output_queue_size": output_queue_size,
            "backpressure": backpressure,
        }

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return fn(*args, **kwargs)
        wrapper._ring_kernel_meta = meta
        wrapper._original_func = fn
        if auto_register:
            _registry[meta["kernel_id"]] = meta
        return wrapper

    return wrap(func) if func is not None else wrap


def registered(kernel_id):
    return _registry.get(kernel_id)


def registered_ids():
    return list(_registry)


def is_ring_kernel(func):
    return hasattr(func, "_ring_kernel_meta")
