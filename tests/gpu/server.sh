#!/bin/sh
# server.sh - a kernel on the GPU through the server: launch --backend
# cuda, the lifecycle confirmed by the device, messages in order, stats
# and list naming the backend and the device; more persistent kernels
# started while one runs, and a chain of them over device links.
. "$(dirname "$0")/common.sh"
require_gpu
own_server
echo 1..8

check "launch --backend cuda, activate" sh -c "
	'$RINGCTL' launch d --kernel doubler --backend cuda &&
	'$RINGCTL' activate d"
check "100000 messages through send and recv, in order" sh -c "
	seq 1 100000 | sed 's/.*/{\"value\":&}/' | '$RINGCTL' send d &
	'$RINGCTL' recv d -n 100000 --timeout 30 |
	awk -F'[:}]' '\$2 != 2 * NR { exit 1 } END { exit NR != 100000 }'"
check "deactivated, messages wait; reactivated, they come" sh -c "
	'$RINGCTL' deactivate d &&
	seq 1 10 | sed 's/.*/{\"value\":&}/' | '$RINGCTL' send d &&
	! '$RINGCTL' recv d --timeout 0.2 &&
	'$RINGCTL' reactivate d &&
	'$RINGCTL' recv d -n 10 --timeout 10 | tail -1 | grep -qx '{\"result\":20}'"
check "list says cuda" sh -c "'$RINGCTL' list | grep -q '^d .* cuda '"
check "stats names the device" sh -c "
	'$RINGCTL' stats --format json d | grep -q '\"backend\":\"cuda\".*\"device\":{\"name\":\"'"
check "a second persistent kernel starts while the first runs" sh -c "
	'$RINGCTL' launch e --kernel doubler --backend cuda &&
	'$RINGCTL' activate e &&
	printf '{\"value\":21}\n' | '$RINGCTL' send e &&
	'$RINGCTL' recv e --timeout 10 | grep -qx '{\"result\":42}' &&
	'$RINGCTL' terminate e --timeout 10"
cat >"$TMP/chain.yaml" <<'YAML'
backend: cuda
kernels:
  a: {kernel: scale, params: {factor: 2}}
  b: {kernel: scale, params: {factor: 0.5}}
  c: {kernel: vector-histogram, params: {min: 0, max: 10}}
pipeline: [a, b, c]
YAML
check "three kernels launched one after another, linked on the device" sh -c "
	'$RINGCTL' launch -f '$TMP/chain.yaml' &&
	for k in c b a; do '$RINGCTL' activate \$k || exit 1; done &&
	awk 'BEGIN { for (i = 0; i < 1000; i++) print \"{\\\"x\\\":[\" i % 10 \"]}\" }' |
		'$RINGCTL' send a &&
	'$RINGCTL' recv c -n 1000 --timeout 30 | wc -l | grep -qx 1000 &&
	'$RINGCTL' stats | grep -q '^b: .*device link from a, device link to c' &&
	'$RINGCTL' terminate a b c --timeout 10"
check "terminate" "$RINGCTL" terminate d --timeout 10
exit $failed
