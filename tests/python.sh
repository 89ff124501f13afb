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
PYTHONPATH=$top_srcdir/python${PYTHONPATH:+:$PYTHONPATH}
# The source tree may be read-only (distcheck): write no caches there.
PYTHONDONTWRITEBYTECODE=1
export RINGKERNEL_LIBRARY PYTHONPATH PYTHONDONTWRITEBYTECODE
exec "$python" "$top_srcdir/tests/python/tap.py" "$top_srcdir/tests/python"
