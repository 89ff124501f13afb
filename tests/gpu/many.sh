#!/bin/sh
# many.sh - N persistent kernels on the GPU at once, through the server
# (GPU_KERNELS, 16 unless set): all launched and active together, each
# answering its own messages while the others run, then terminated.
# Each takes a hardware queue of its own: the server is given 32
# (CUDA_DEVICE_MAX_CONNECTIONS); a run given 4 refuses a fourth kernel
# and says why, rather than leave it waiting behind another forever.
. "$(dirname "$0")/common.sh"
require_gpu
own_server
export CUDA_DEVICE_MAX_CONNECTIONS="${CUDA_DEVICE_MAX_CONNECTIONS:-32}"
N=${GPU_KERNELS:-16}
ids=$(seq 1 "$N" | sed 's/^/k/' | tr '\n' ' ')
echo 1..4

check "$N doublers launched and active on the GPU together" sh -c "
	for k in $ids; do
		'$RINGCTL' launch \$k --kernel doubler --backend cuda &&
		'$RINGCTL' activate \$k || exit 1
	done &&
	[ \$('$RINGCTL' list | grep -c ' ACTIVE .* cuda ') -eq $N ]"
check "each answers its own messages while all run" sh -c "
	i=0
	for k in $ids; do
		i=\$((i + 1))
		printf '{\"value\":%d}\n{\"value\":%d}\n' \$i \$((i + 1000)) |
			'$RINGCTL' send \$k || exit 1
	done
	i=0
	for k in $ids; do
		i=\$((i + 1))
		'$RINGCTL' recv \$k -n 2 --timeout 10 >'$TMP/out' &&
		[ \"\$(cat '$TMP/out')\" = \"\$(printf '{\"result\":%d}\n{\"result\":%d}' \$((2 * i)) \$((2 * i + 2000)))\" ] ||
			{ echo \"\$k: \$(cat '$TMP/out')\"; exit 1; }
	done"
# shellcheck disable=SC2086 # one word per kernel id
check "all $N terminated" "$RINGCTL" terminate $ids --timeout 10
cat >"$TMP/four.yaml" <<'YAML'
backend: cuda
kernels:
  a: {kernel: scale}
  b: {kernel: scale}
  c: {kernel: scale}
  d: {kernel: scale}
pipeline: [a, b, c, d]
YAML
check "a kernel beyond the hardware queues is refused, saying why" sh -c "
	! printf '{\"x\":[1]}\n' | CUDA_DEVICE_MAX_CONNECTIONS=4 '$RINGCTL' run '$TMP/four.yaml' 2>'$TMP/err' &&
	grep -q \"kernel 'd' does not fit on .*: 3 persistent kernels run, one per hardware queue (CUDA_DEVICE_MAX_CONNECTIONS=4\" '$TMP/err'"
exit $failed
