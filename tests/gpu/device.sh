#!/bin/sh
# device.sh - the device protocol on a real GPU, through the C API:
# see gpu-device.c.
. "$(dirname "$0")/common.sh"
require_gpu
exec "$top_builddir/tests/gpu/gpu-device"
