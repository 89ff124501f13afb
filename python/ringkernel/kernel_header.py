"""The header of a Python kernel file: comment lines that declare it a
kernel, read by libringkernel (lib/python-kernels.c) when the plugin
path is walked and by the worker for its parameters' types and
defaults:

    #: kernel: scale-py
    #: description: multiplies each value
    #: param: factor int=2 what each value is multiplied by
    #: param: label string the label (no '=': required)

A parameter's type is int, float, bool, string or path; its default,
after '=', has no spaces."""
import json

HEADER_LINES = 64               # as lib/python-kernels.c reads


def read_header(path):
    """The header's (key, value) pairs, in order."""
    pairs = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= HEADER_LINES:
                break
            if line.startswith("#: ") and ":" in line[3:]:
                key, value = line[3:].split(":", 1)
                pairs.append((key.strip(), value.strip()))
    return pairs


def _convert(kind, text):
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "bool":
        return text.lower() in ("true", "yes", "on", "1")
    return text


def kernel_params(path, given):
    """Keyword arguments for the kernel's function: the declared
    parameters (given, else their defaults) as their types, and for the
    generic python kernel the JSON object of its `args` parameter.
    `given` maps names to text, as the launch had them."""
    declared = {}
    for key, value in read_header(path):
        if key != "param":
            continue
        words = value.split(None, 1)
        name, _, kind = words[0], None, words[1].split()[0]
        kind, eq, default = kind.partition("=")
        declared[name] = (kind, default if eq else None)
    params = {}
    for name, (kind, default) in declared.items():
        if name in given:
            params[name] = _convert(kind, given[name])
        elif default is not None:
            params[name] = _convert(kind, default)
    args = given.get("args")
    if args and "args" not in declared:
        extra = json.loads(args)
        if not isinstance(extra, dict):
            raise ValueError("args must be a JSON object of keyword "
                             "arguments, not " + args)
        params.update(extra)
    return params
