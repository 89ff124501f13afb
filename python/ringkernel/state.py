"""A kernel's state, named as in the reference and in libringkernel."""
import enum


class KernelState(enum.Enum):
    # CREATED is the reference's state before launch; a launched kernel
    # is never in it here, the name is kept for code that compares.
    CREATED = -1
    LAUNCHED = 0
    ACTIVE = 1
    DEACTIVATED = 2
    TERMINATING = 3
    TERMINATED = 4
    FAILED = 5
