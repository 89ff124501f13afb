"""Messages as the reference writes them: @message on a class of
annotated fields makes it a dataclass with an envelope (message_id,
priority 0..255 default 128, correlation_id); RingKernelMessage is the
same as a base class."""
import dataclasses
import uuid

ENVELOPE = ("message_id", "priority", "correlation_id")
PRIORITY_DEFAULT = 128


class _LazyId:
    """message_id, made when first read: a uuid4 costs more than the
    rest of a small message (about 1.5 of 2 us), and most messages'
    ids are never read.  A data descriptor over the instance's own
    __dict__ entry (which decoding fills directly); until read, that
    entry is this descriptor.  (A copy made before the first read makes
    an id of its own.)"""

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        d = obj.__dict__
        value = d.get("message_id", self)
        if value is self:
            value = d["message_id"] = uuid.uuid4()
        return value

    def __set__(self, obj, value):
        obj.__dict__["message_id"] = value


_LAZY_ID = _LazyId()


def _check_priority(self):
    p = self.priority
    if not isinstance(p, int) or not 0 <= p <= 255:
        raise ValueError(f"Priority must be 0-255, got {p!r}")


def _user_fields(cls):
    """The fields a message carries besides its envelope."""
    return tuple(f.name for f in dataclasses.fields(cls)
                 if f.name not in ENVELOPE)


def _to_dict(self):
    return {n: getattr(self, n) for n in type(self).message_fields()}


def _reply(self, **kwargs):
    """A reply whose correlation_id is this message's id."""
    cls = kwargs.pop("response_class", type(self))
    return cls(correlation_id=self.message_id, **kwargs)


def _add_api(cls):
    cls.message_fields = classmethod(_user_fields)
    cls.to_dict = _to_dict
    cls.reply = _reply
    return cls


@dataclasses.dataclass
class RingKernelMessage:
    """Base class: subclass it as a dataclass with your fields."""
    message_id: object = dataclasses.field(default=_LAZY_ID, kw_only=True)
    priority: int = dataclasses.field(default=PRIORITY_DEFAULT,
                                      kw_only=True)
    correlation_id: object = dataclasses.field(default=None, kw_only=True)

    def __post_init__(self):
        _check_priority(self)


_add_api(RingKernelMessage)


def message(cls=None):
    """Make a message class of `cls`: a dataclass of its annotated
    fields, with the envelope's three fields after them (keyword-only,
    so that fields without defaults may follow)."""
    def wrap(cls):
        if dataclasses.is_dataclass(cls):
            return _add_api(cls)
        notes = dict(cls.__dict__.get("__annotations__", {}))
        defaults = {
            "message_id": dataclasses.field(default=_LAZY_ID,
                                            kw_only=True),
            "priority": dataclasses.field(default=PRIORITY_DEFAULT,
                                          kw_only=True),
            "correlation_id": dataclasses.field(default=None, kw_only=True),
        }
        for name, value in defaults.items():
            if name not in notes:
                notes[name] = object if name != "priority" else int
                setattr(cls, name, value)
        cls.__annotations__ = notes
        user_post = cls.__dict__.get("__post_init__")

        def __post_init__(self):
            _check_priority(self)
            if user_post:
                user_post(self)
        cls.__post_init__ = __post_init__
        return _add_api(dataclasses.dataclass(cls))

    return wrap(cls) if cls is not None else wrap


_reply_classes = {}


def reply_class(type_name, fields):
    """The message class of a C kernel's output type (made once)."""
    key = (type_name, tuple(fields))
    cls = _reply_classes.get(key)
    if cls is None:
        name = "".join(p.capitalize() for p in
                       type_name.replace("-", "_").split("_")) or "Reply"
        cls = message(type(name, (), {"__annotations__":
                                      {f: object for f in fields}}))
        _reply_classes[key] = cls
    return cls
