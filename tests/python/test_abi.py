"""The ctypes mirrors of the C structs the library writes into must be
exactly as large as the C ones: a smaller mirror is a buffer the library
overruns (it happened: rk_telemetry grew by device_mode and the Python
heap was corrupted).  Compiled against the headers of this tree."""

import ctypes
import os
import shutil
import subprocess

import pytest

from ringkernel import _lib

# C struct, its mirror: the ones the library writes into (outputs), and
# those it reads (options; their struct_size lets them be smaller, but
# a larger mirror would set bytes the library refuses).
MIRRORS = [
    ("rk_telemetry", _lib.Telemetry),
    ("rk_summary", _lib.Summary),
    ("rk_kernel_info", _lib.KernelInfo),
    ("rk_envelope", _lib.Envelope),
    ("rk_msg", _lib.Msg),
    ("rk_queue_stats", _lib.QueueStats),
    ("rk_runtime_options", _lib.RuntimeOptions),
    ("rk_launch_options", _lib.LaunchOptions),
]


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_mirrors_are_the_size_of_the_c_structs(tmp_path):
    src = os.environ.get("top_srcdir", os.path.join(
        os.path.dirname(__file__), "..", ".."))
    prog = tmp_path / "sizes.c"
    prog.write_text("#include <stdio.h>\n#include <ringkernel.h>\n"
                    "int main(void) {\n" + "".join(
                        f'  printf("%zu\\n", sizeof({c}));\n'
                        for c, _ in MIRRORS) + "  return 0;\n}\n")
    exe = tmp_path / "sizes"
    subprocess.run(["cc", "-o", str(exe), str(prog),
                    "-I" + os.path.join(src, "include")], check=True)
    sizes = subprocess.run([str(exe)], check=True, capture_output=True,
                           text=True).stdout.split()
    for (c, mirror), size in zip(MIRRORS, sizes):
        assert ctypes.sizeof(mirror) == int(size), c
