# common.sh - shared by the GPU suites: TAP helpers, and require_gpu,
# which ends the suite with exit 77 where no CUDA device can be used.
# The device is the real one: emulation is switched off, unless
# GPU_TESTS_EMULATE=1 asks to try the suites themselves without a GPU.
[ "${GPU_TESTS_EMULATE:-}" = 1 ] && export RK_CUDA_EMULATE=64 || unset RK_CUDA_EMULATE
: "${top_builddir:?run by make check}"
: "${RINGCTL:=$top_builddir/src/ringctl}"
TMP=$(mktemp -d) || exit 1
trap 'rm -rf "$TMP"' EXIT

n=0 failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	failed=1
}
# check DESCRIPTION COMMAND...: the command's success is the test's.
check() {
	d=$1
	shift
	if "$@" >"$TMP/check.out" 2>&1; then
		ok "$d"
	else
		not_ok "$d"
		sed 's/^/# /' "$TMP/check.out"
	fi
}

# A one-kernel topology: topology BACKEND KERNEL [KEY: VALUE].
topology() {
	f=$TMP/$2-$1.yaml
	{
		echo "backend: $1"
		echo "kernels:"
		echo "  $2:"
		[ $# -gt 2 ] && echo "    params: {$3}"
		echo "pipeline: [$2]"
	} >"$f"
	echo "$f"
}
# On the GPU, and, for the references, on the CPU: a run with the
# default backend takes the GPU wherever there is one.
cuda_topology() { topology cuda "$@"; }
cpu_topology() { topology cpu "$@"; }

require_gpu() {
	out=$(printf '{"value":1}\n' | "$RINGCTL" run "$(cuda_topology doubler)" 2>&1)
	[ "$out" = '{"result":2}' ] && return 0
	case $out in
	*"not installed"*|*"no usable CUDA"*|*"no CUDA device"*|*"cannot map host memory"*)
		echo "# no CUDA device here: $(echo "$out" | tail -1)"
		exit 77 ;;
	esac
	# A device that is there but fails is a failure, not a skip.
	echo "1..1"
	echo "not ok 1 - a doubler on the GPU"
	echo "$out" | sed 's/^/# /'
	exit 1
}

# A server of the suite's own, killed at its end.
own_server() {
	XDG_RUNTIME_DIR=$TMP/run
	mkdir -m 700 "$XDG_RUNTIME_DIR"
	export XDG_RUNTIME_DIR
	trap '"$RINGCTL" kill-server >/dev/null 2>&1; rm -rf "$TMP"' EXIT
}
