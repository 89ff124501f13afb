#!/bin/sh
# python.sh - the Python package's suite (tests/python, pytest with
# pytest-asyncio) against the build tree's libringkernel and kernels,
# uninstalled, one TAP point per test.  Skips (77) where configure found
# no Python 3 or it lacks python3-pytest / python3-pytest-asyncio.
: "${top_builddir:?run by make check}"
: "${top_srcdir:?run by make check}"
python=${PYTHON:-/usr/bin/python3}
if [ "$python" = no ] ||
   ! "$python" -c 'import pytest, pytest_asyncio' 2>/dev/null; then
	echo "# no $python with pytest and pytest-asyncio" \
		"(python3-pytest, python3-pytest-asyncio)"
	exit 77
fi
RINGKERNEL_LIBRARY=$top_builddir/lib/.libs/libringkernel.so
# A library built with the sanitizers (test-all's asan build) needs
# their runtimes loaded first, which libtool does not link into it:
# preload them into Python, and leave Python's own leaks, not ours to
# find here, unreported.
for san in asan ubsan; do
	nm -D --undefined-only "$RINGKERNEL_LIBRARY" 2>/dev/null |
		grep -q " __${san}_" || continue
	runtime=$(${CC:-cc} -print-file-name="lib$san.so")
	if [ ! -f "$runtime" ]; then
		echo "# libringkernel needs lib$san.so, which ${CC:-cc} does not find"
		exit 77
	fi
	LD_PRELOAD="${LD_PRELOAD:+$LD_PRELOAD }$runtime"
	ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	export LD_PRELOAD ASAN_OPTIONS
done
PYTHONPATH=$top_srcdir/python${PYTHONPATH:+:$PYTHONPATH}
# The source tree may be read-only (distcheck): write no caches there.
PYTHONDONTWRITEBYTECODE=1
export RINGKERNEL_LIBRARY PYTHONPATH PYTHONDONTWRITEBYTECODE
exec "$python" "$top_srcdir/tests/python/tap.py" "$top_srcdir/tests/python"
