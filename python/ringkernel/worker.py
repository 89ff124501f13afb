"""The worker process of a Python kernel (kernels/python.c starts it as
`/usr/bin/python3 worker.py FILE.py PARAMS`): it loads FILE.py and
answers the kernel over its standard input and output.

It runs as a script, not as `-m ringkernel.worker`, so that the package
(which loads libringkernel through ctypes) is never imported: a worker
needs nothing but the standard library and ctx.py beside it.

The protocol is framed lines, one tag byte then the rest of the line:

    kernel -> worker   M<json>   a message
                       A / D     activated / deactivated (actor form)
                       T         terminate (actor form)
                       (end of input: no more messages)
    worker -> kernel   M<json>   an output message
                       K         the message is done (function form)
                       E<text>   the message failed (function form) or
                                 the actor raised; text is one line
                       F<text>   the file cannot run; the worker exits

so that zero, one or several results of one message, and its failure,
are told apart, and the kernel can keep replicas in input order."""
import json
import os
import sys
import traceback

from kernel_header import kernel_params

# Output in one write per message: the kernel waits for K.
_out = None


def _frame(tag, text=b""):
    _out.write(tag + text + b"\n")


def _one_line(text):
    return " | ".join(s.strip() for s in text.splitlines() if s.strip())


def _error_text(exc):
    """The traceback's last lines on one line, what was raised first:
    last_error keeps 127 bytes, and the exception is what says most.
    "ValueError: two is bad (bad.py:3 in process: raise ValueError(...))"
    """
    what = _one_line("".join(traceback.format_exception_only(type(exc),
                                                             exc)))
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames or isinstance(exc, SyntaxError):   # it says where
        return what
    f = frames[-1]
    where = f"{os.path.basename(f.filename)}:{f.lineno} in {f.name}"
    return f"{what} ({where}: {f.line})" if f.line else f"{what} ({where})"


def _dumps(value):
    return json.dumps(value, separators=(",", ":"),
                      allow_nan=False).encode()


def _results(value):
    """A function's return: None is no message, a list several, any
    other value one."""
    if value is None:
        return []
    if isinstance(value, list):
        return [_dumps(v) for v in value]
    return [_dumps(value)]


def _serve_function(process, params):
    for line in sys.stdin.buffer:
        if line[:1] != b"M":
            continue                    # control lines: actors only
        try:
            out = _results(process(json.loads(line[1:]), **params))
        except Exception as exc:        # the message's, not the worker's
            _frame(b"E", _error_text(exc).encode())
        else:
            for o in out:
                _frame(b"M", o)
            _frame(b"K")
        _out.flush()


def main(argv):
    global _out
    # The protocol has stdout to itself; what the kernel prints goes to
    # stderr, which the kernel passes on.
    _out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    path, given = argv[1], json.loads(argv[2]) if len(argv) > 2 else {}
    form = argv[3] if len(argv) > 3 else "function"
    try:
        import runpy
        module = runpy.run_path(path, run_name="__ringkernel__")
        params = kernel_params(path, given)
    except Exception as exc:
        _frame(b"F", f"{path}: {_error_text(exc)}".encode())
        _out.flush()
        return 1
    if form == "actor":
        from actor_worker import serve_actor
        return serve_actor(module, params, path, _frame, _out,
                           _error_text, _dumps)
    process = module.get("process")
    if not callable(process):
        _frame(b"F", f"{path} defines no function process(msg)".encode())
        _out.flush()
        return 1
    _serve_function(process, params)
    _out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
