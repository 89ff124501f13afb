"""Messages to and from a C kernel, through its message types.

Typed kernels' messages are C structs.  Where every field is a whole
number, a bool or a double (the common case: the doubler), the struct
is packed and unpacked here with the struct module, laid out by the
type's own offsets: no text in between.  Every other type (strings,
float32, variable arrays, json) goes through libringkernel's codec
(rk_json_decode/rk_json_encode), so that the C rules (ranges, exact
fields, float32 printing) decide.  Kernels of raw bytes take and give
bytes."""
import ctypes
import dataclasses
import json
import operator
import struct

from . import _lib
from .errors import MessageSerializationError
from .message import ENVELOPE, reply_class

_EXACT = {1, 2, 3, 4, 5, 6, 7, 8, 9, 11}   # bool, ints, f64: exact here
_INTS = {2, 3, 4, 5, 6, 7, 8, 9}


def _fields(t):
    return [t.fields[i] for i in range(t.n_fields)]


def _struct_of(t):
    """A struct.Struct for type t, or None where the C codec must do."""
    fmt, at = "<", 0
    for f in sorted(_fields(t), key=lambda f: f.offset):
        if f.kind not in _EXACT or f.length_offset >= 0:
            return None
        if f.offset < at:
            return None
        fmt += "x" * (f.offset - at)
        n = f.count or 1
        fmt += KIND(f.kind) * n
        at = f.offset + n * struct.calcsize("<" + KIND(f.kind))
    fmt += "x" * (t.size - at)
    return struct.Struct(fmt) if struct.calcsize(fmt) == t.size else None


def KIND(k):
    return _lib.KIND_FORMAT[k]


def _fits(kind, x):
    """Whether x is a value of a field of this kind (as the C codec
    would take it from JSON: no bool for a number, no number for a
    bool, no fraction for a whole number)."""
    if kind == _lib.KIND_BOOL:
        return isinstance(x, bool)
    if isinstance(x, bool):
        return False
    if kind == 11:
        return isinstance(x, (int, float))
    return isinstance(x, int)


def fields_of(obj, names):
    """The values of `names` in a dict or a message object."""
    try:
        if isinstance(obj, dict):
            return [obj[n] for n in names]
        return [getattr(obj, n) for n in names]
    except (KeyError, AttributeError):
        has = obj.__contains__ if isinstance(obj, dict) else \
            (lambda n: hasattr(obj, n))
        missing = next(n for n in names if not has(n))
        raise MessageSerializationError(
            f"message has no field {missing!r} (the kernel takes "
            f"{', '.join(names)})") from None


def as_json_value(obj):
    """A message object as the JSON value it stands for."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name)
                for f in dataclasses.fields(obj) if f.name not in ENVELOPE}
    return obj


class Side:
    """One side (input or output) of a C kernel: how its messages are
    made from Python values and back."""

    def __init__(self, tptr, max_message):
        self.type = tptr.contents if tptr else None
        self.max_message = max_message
        self.names, self.counts, self.packer = [], [], None
        self.ints = False
        if self.type is not None and self.type.fields:
            fs = sorted(_fields(self.type), key=lambda f: f.offset)
            self.names = [f.name.decode() for f in fs]
            self.counts = [f.count if f.kind != _lib.KIND_STRING else 0
                           for f in fs]
            self.kinds = [f.kind for f in fs]
            self.packer = _struct_of(self.type)
            name = (self.type.name or b"reply").decode()
            self.cls = reply_class(name, self.names)
            # The common case, whole numbers only, one each: checked by
            # type() and struct's own range check, made without __init__.
            self.ints = not any(self.counts) and all(
                k in _INTS for k in self.kinds)
            if self.ints:
                self.encode = self._encode_ints
                self._of_dict = operator.itemgetter(*self.names)
                self._of_object = operator.attrgetter(*self.names)
                self._one = len(self.names) == 1

    # -- Python value -> message bytes ------------------------------
    def _encode_ints(self, obj):
        """encode() where every field is one whole number: the values
        fetched by operator's getters, checked by type() and struct's
        own range check; anything else takes encode's way, which says
        what is wrong."""
        try:
            got = (self._of_dict(obj) if type(obj) is dict
                   else self._of_object(obj))
            if self._one:
                if type(got) is int:
                    return self.packer.pack(got)
            elif all(type(x) is int for x in got):
                return self.packer.pack(*got)
        except (KeyError, AttributeError, TypeError, struct.error):
            pass
        return Side.encode(self, obj)

    def encode(self, obj):
        if self.type is None:
            if isinstance(obj, str):
                return obj.encode()
            if isinstance(obj, (bytes, bytearray, memoryview)):
                return bytes(obj)
            raise MessageSerializationError(
                "this kernel takes raw bytes (bytes or str)")
        if self.packer is not None:
            return self._pack(obj)
        if self.names:
            value = dict(zip(self.names, fields_of(obj, self.names)))
        else:
            value = as_json_value(obj)
        return self._decode_json(value)

    def _pack(self, obj):
        if self.ints:
            values = fields_of(obj, self.names)
            if all(type(x) is int for x in values):
                try:
                    return self.packer.pack(*values)
                except struct.error as e:
                    raise MessageSerializationError(
                        f"out of range: {e}") from None
        flat = []
        for v, n, k in zip(fields_of(obj, self.names), self.counts,
                           self.kinds):
            vs = list(v) if n else [v]
            if n and len(vs) != n:
                raise MessageSerializationError(
                    f"an array of {n} numbers is needed, not {len(vs)}")
            for x in vs:
                if not _fits(k, x):
                    raise MessageSerializationError(
                        f"{x!r} is not a "
                        f"{'bool' if k == _lib.KIND_BOOL else 'number'}"
                        f" for this field")
            flat.extend(vs)
        try:
            return self.packer.pack(*flat)
        except struct.error as e:
            raise MessageSerializationError(f"out of range: {e}") from None

    def _decode_json(self, value):
        try:
            text = json.dumps(value, separators=(",", ":"),
                              allow_nan=False).encode()
        except (TypeError, ValueError) as e:
            raise MessageSerializationError(str(e)) from None
        cap = max(self.max_message, 1)
        out = ctypes.create_string_buffer(cap)
        n = ctypes.c_size_t()
        padded = text + b"\0" * _JSON_PADDING
        rc = _lib.lib.rk_json_decode(ctypes.byref(self.type), padded,
                                     len(text), len(padded), out, cap,
                                     ctypes.byref(n))
        if rc != _lib.OK:
            raise MessageSerializationError(_lib.errmsg())
        return out.raw[:n.value]

    # -- message bytes -> Python value ------------------------------
    def decode(self, data, env):
        if self.type is None:
            return data
        if self.ints:
            msg = self.cls.__new__(self.cls)
            d = msg.__dict__
            d.update(zip(self.names, self.packer.unpack(data)))
            d["message_id"] = env.message_id
            d["priority"] = env.priority
            d["correlation_id"] = env.correlation_id or None
            return msg
        if self.packer is not None:
            flat = self.packer.unpack(data)
            values, i = [], 0
            for n in self.counts:
                values.append(list(flat[i:i + n]) if n else flat[i])
                i += n or 1
            return self.cls(*values, message_id=env.message_id,
                            priority=env.priority,
                            correlation_id=env.correlation_id or None)
        value = json.loads(self._encode_json(data))
        if self.names:
            return self.cls(**value, message_id=env.message_id,
                            priority=env.priority,
                            correlation_id=env.correlation_id or None)
        return value

    def _encode_json(self, data):
        cap = _lib.lib.rk_json_max_encoded(ctypes.byref(self.type)) \
            or len(data) + 1
        out = ctypes.create_string_buffer(cap)
        n = ctypes.c_size_t()
        rc = _lib.lib.rk_json_encode(ctypes.byref(self.type), data,
                                     len(data), out, cap, ctypes.byref(n))
        if rc != _lib.OK:
            raise MessageSerializationError(_lib.errmsg())
        return out.raw[:n.value]


_JSON_PADDING = 64      # RK_JSON_PADDING: lets the codec read past the end
