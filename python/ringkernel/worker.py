"""The worker process of a Python kernel (kernels/python.c starts it as
`/usr/bin/python3 worker.py FILE.py PARAMS`): it loads FILE.py and
answers the kernel over its standard input and output.

It runs as a script, not as `-m ringkernel.worker`, so that the package
(which loads libringkernel through ctypes) is never imported: a worker
needs nothing but the standard library and ctx.py beside it.

The protocol is framed lines, one tag byte then the rest of the line:

    kernel -> worker   B<json array>  a batch of messages (function form)
                       M<json>   a message (actor form)
                       A / D     activated / deactivated (actor form)
                       T         terminate (actor form)
                       (end of input: no more messages)
    worker -> kernel   M<json>   an output message
                       K         the message is done (function form)
                       E<text>   the message failed (function form) or
                                 the actor raised; text is one line
                       F<text>   the file cannot run; the worker exits

so that zero, one or several results of each message, and its failure,
are told apart, and the kernel can keep replicas in input order.  A
batch's answers are written in one go: the kernel keeps several
batches in flight, so the worker rarely waits and never writes a
message at a time."""
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


def _encoder():
    """The fastest compact encoder of this Python: the C one, made
    once (json.dumps makes one per call, which costs more than the
    encoding of a small message)."""
    enc = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
    try:
        from json.encoder import c_make_encoder, encode_basestring_ascii
    except ImportError:
        c_make_encoder = None
    if c_make_encoder is None:
        return enc.encode
    make = c_make_encoder(None, enc.default, encode_basestring_ascii,
                          None, ":", ",", False, False, False)
    return lambda value: "".join(make(value, 0))


_encode = _encoder()


def _dumps(value):
    return _encode(value).encode()


def _answer(out, result):
    """A message's result as frames appended to out (strings): None is
    no message, a list several, any other value one; then K."""
    if result is None:
        out.append("K\n")
    elif isinstance(result, list):
        frames = ["M" + _encode(v) + "\n" for v in result]
        out.extend(frames)
        out.append("K\n")
    else:
        out.append("M" + _encode(result) + "\nK\n")


def _failed(out, exc):
    out.append("E" + _error_text(exc) + "\n")


def _per_message(process, params):
    def run(msgs, out):
        for msg in msgs:
            try:
                _answer(out, process(msg, **params))
            except Exception as exc:    # the message's, not the worker's
                _failed(out, exc)
    return run


def _per_batch(process_batch, params):
    def run(msgs, out):
        try:
            results = process_batch(msgs, **params)
            if not isinstance(results, list) or len(results) != len(msgs):
                got = (f"a list of {len(results)}"
                       if isinstance(results, list)
                       else type(results).__name__)
                raise TypeError(f"process_batch returned {got} for "
                                f"{len(msgs)} messages: it must return a "
                                "list of one result per message")
        except Exception as exc:        # the batch's: each message failed
            for _ in msgs:
                _failed(out, exc)
            return
        for result in results:
            mark = len(out)
            try:
                _answer(out, result)
            except Exception as exc:    # that result cannot be sent
                del out[mark:]
                _failed(out, exc)
    return run


def _serve_function(run):
    loads = json.loads
    for line in sys.stdin.buffer:
        if line[:1] != b"B":
            continue                    # control lines: actors only
        try:
            msgs = loads(line[1:])
        except ValueError as exc:       # not the kernel's framing
            _frame(b"F", f"a batch that is not JSON: {exc}".encode())
            return
        out = []
        run(msgs, out)
        _out.write("".join(out).encode())
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
    # A function per batch where the file has one, else per message.
    process_batch = module.get("process_batch")
    process = module.get("process")
    if callable(process_batch):
        run = _per_batch(process_batch, params)
    elif callable(process):
        run = _per_message(process, params)
    else:
        _frame(b"F", f"{path} defines no function process(msg) or "
               "process_batch(msgs)".encode())
        _out.flush()
        return 1
    _serve_function(run)
    _out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
