#!/bin/sh
# installcheck.sh - an installed ringctl works as a user meets it: it
# finds its kernels, runs one, and says nothing on stderr when all is
# well; the GPU modules of a CUDA build sit in kernels/cuda, where the
# plugin search does not look; the ringkernel Python package imports
# from where it was installed and runs the installed doubler.  Run by
# `make installcheck` (and so by distcheck):
# installcheck.sh BINDIR KERNELSDIR WITH_CUDA(yes|no) [PYTHON|no PYTHONDIR]
set -u
ringctl=$1/ringctl kernelsdir=$2 with_cuda=$3 python=${4:-no} pythondir=${5:-}
out=$(mktemp -d "${TMPDIR:-/tmp}/rkinstall.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT
failed=0
fail() {
	echo "installcheck: $*" >&2
	failed=1
}

# The installed plugin directory only, whatever the caller's environment.
unset RINGCTL_PLUGIN_PATH
"$ringctl" kernels >"$out/kernels" 2>"$out/err" || fail "'ringctl kernels' failed"
[ -s "$out/err" ] && fail "'ringctl kernels' wrote to stderr: $(cat "$out/err")"
grep -q '^doubler ' "$out/kernels" || fail "'ringctl kernels' does not list doubler"
echo '{"value":21}' | "$ringctl" run doubler >"$out/run" 2>"$out/err" ||
	fail "'ringctl run doubler' failed: $(cat "$out/err")"
[ "$(cat "$out/run")" = '{"result":42}' ] || fail "'ringctl run doubler' printed: $(cat "$out/run")"
[ -s "$out/err" ] && fail "'ringctl run doubler' wrote to stderr: $(cat "$out/err")"
"$ringctl" run no-such-kernel </dev/null >/dev/null 2>"$out/err"
rc=$?
[ $rc -eq 3 ] || fail "a kernel that does not exist: exit $rc, not 3"
grep -q -- '-cuda\.so' "$out/err" && fail "'not found' names a GPU module: $(cat "$out/err")"
if [ "$with_cuda" = yes ]; then
	for m in doubler-cuda.so vector-cuda.so; do
		[ -f "$kernelsdir/cuda/$m" ] || fail "$m is not in $kernelsdir/cuda"
		[ -e "$kernelsdir/$m" ] && fail "$m is among the plugins in $kernelsdir"
	done
else
	echo "installcheck: built without CUDA: where GPU modules go is not checked"
fi
if [ "$python" != no ]; then
	# No __pycache__ left behind: uninstall must leave nothing.
	PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$pythondir "$python" -c '
import asyncio, ringkernel
async def main():
    async with ringkernel.RingKernelRuntime() as rt:
        await rt.launch("doubler")
        await rt.activate("doubler")
        await rt.send("doubler", {"value": 21})
        print((await rt.receive("doubler", timeout=5)).result)
asyncio.run(main())' >"$out/py" 2>"$out/err" ||
		fail "the installed ringkernel package failed: $(cat "$out/err")"
	[ "$(cat "$out/py")" = 42 ] || fail "the installed ringkernel package printed: $(cat "$out/py")"
else
	echo "installcheck: built without Python: the ringkernel package is not checked"
fi
[ $failed -eq 0 ] && echo "installcheck: the installed ringctl works, silently"
exit $failed
