#!/bin/sh
# kernels.sh - the GPU forms of doubler, scale, saxpy and
# vector-histogram compute what their CPU forms compute, fail on the
# same messages (in the device's words), and the run's stats name the
# device; chained on the device, through device links, they still do;
# a GPU module is found in cuda/ beside its plugin, as installed, and
# refused there when another user could have written it.  The CPU
# references run on the CPU (backend: cpu), never on the default
# backend, which is the GPU where there is one.
. "$(dirname "$0")/common.sh"
require_gpu
echo 1..13

seq -1000000 7 1000000 | sed 's/.*/{"value":&}/' >"$TMP/values"
check "the CPU references run on the CPU" sh -c "
	printf '{\"value\":3}\n' | '$RINGCTL' run --stats '$(cpu_topology doubler)' 2>'$TMP/err' >/dev/null &&
	grep -q 'doubler: received 1' '$TMP/err' && ! grep -q ', on ' '$TMP/err'"

check "doubler: 285715 lines as on the CPU" sh -c "
	'$RINGCTL' run '$(cpu_topology doubler)' <'$TMP/values' >'$TMP/cpu' &&
	'$RINGCTL' run '$(cuda_topology doubler)' <'$TMP/values' >'$TMP/gpu' &&
	cmp '$TMP/cpu' '$TMP/gpu'"

printf '{"value":1}\n{"value":9223372036854775807}\n{"value":2}\n' >"$TMP/overflow"
check "doubler: overflow fails message 2, as on the CPU" sh -c "
	! '$RINGCTL' run '$(cuda_topology doubler)' <'$TMP/overflow' 2>'$TMP/err' &&
	grep -q 'doubler: message 2: the doubled value overflows int64' '$TMP/err'"

awk 'BEGIN { for (i = 0; i < 2000; i++) {
	printf "{\"x\":["; for (j = 0; j < i % 300; j++) printf "%s%d.5", j ? "," : "", j - i
	print "]}" } }' >"$TMP/vectors"
check "scale: 2000 vectors as on the CPU" sh -c "
	'$RINGCTL' run '$(cpu_topology scale 'factor: -1.5')' <'$TMP/vectors' >'$TMP/cpu' &&
	'$RINGCTL' run '$(cuda_topology scale 'factor: -1.5')' <'$TMP/vectors' >'$TMP/gpu' &&
	cmp '$TMP/cpu' '$TMP/gpu'"

awk 'BEGIN { for (i = 0; i < 2000; i++) {
	printf "{\"x\":["; for (j = 0; j < i % 100; j++) printf "%s%d", j ? "," : "", j
	printf "],\"y\":["; for (j = 0; j < i % 100; j++) printf "%s%d.25", j ? "," : "", i
	print "]}" } }' >"$TMP/xy"
check "saxpy: 2000 pairs as on the CPU" sh -c "
	'$RINGCTL' run '$(cpu_topology saxpy 'a: 0.5')' <'$TMP/xy' >'$TMP/cpu' &&
	'$RINGCTL' run '$(cuda_topology saxpy 'a: 0.5')' <'$TMP/xy' >'$TMP/gpu' &&
	cmp '$TMP/cpu' '$TMP/gpu'"

check "vector-histogram: 2000 vectors as on the CPU" sh -c "
	'$RINGCTL' run '$(cpu_topology vector-histogram 'min: -500, max: 100, buckets: 37')' <'$TMP/vectors' >'$TMP/cpu' &&
	'$RINGCTL' run '$(cuda_topology vector-histogram 'min: -500, max: 100, buckets: 37')' <'$TMP/vectors' >'$TMP/gpu' &&
	cmp '$TMP/cpu' '$TMP/gpu'"

printf '{"x":[1,2],"y":[1]}\n' >"$TMP/bad-xy"
check "saxpy: lengths that differ fail the message" sh -c "
	! '$RINGCTL' run '$(cuda_topology saxpy)' <'$TMP/bad-xy' 2>'$TMP/err' &&
	grep -q 'saxpy: message 1: x and y differ in length' '$TMP/err'"

check "run --stats names the device" sh -c "
	printf '{\"value\":3}\n' | '$RINGCTL' run --stats '$(cuda_topology doubler)' 2>'$TMP/err' >/dev/null &&
	grep -q 'doubler: received 1, .*, on ' '$TMP/err'"

check "backend auto takes the GPU for doubler" sh -c "
	sed 's/backend: cuda/backend: auto/' '$(cuda_topology doubler)' >'$TMP/auto.yaml' &&
	printf '{\"value\":3}\n' | '$RINGCTL' run --stats '$TMP/auto.yaml' 2>'$TMP/err' >/dev/null &&
	grep -q ', on ' '$TMP/err'"
cat >"$TMP/chain-cpu.yaml" <<'YAML'
backend: cpu
kernels:
  a: {kernel: scale, params: {factor: -1.5}}
  b: {kernel: scale, params: {factor: 0.5}}
  c: {kernel: vector-histogram, params: {min: -500, max: 100, buckets: 37}}
pipeline: [a, b, c]
YAML
sed 's/backend: cpu/backend: cuda/' "$TMP/chain-cpu.yaml" >"$TMP/chain.yaml"
check "scale -> scale -> vector-histogram over device links, as on the CPU" sh -c "
	'$RINGCTL' run '$TMP/chain-cpu.yaml' <'$TMP/vectors' >'$TMP/cpu' &&
	'$RINGCTL' run --stats '$TMP/chain.yaml' <'$TMP/vectors' >'$TMP/gpu' 2>'$TMP/err' &&
	cmp '$TMP/cpu' '$TMP/gpu' &&
	grep -q 'b: received 2000, processed 2000, .*device link from a, device link to c' '$TMP/err'"

printf '{"x":[1]}\n{"x":[3e38]}\n{"x":[2]}\n' >"$TMP/inf"
check "a message failing after a device link is named by its line" sh -c "
	! '$RINGCTL' run -p a.factor=2 -p b.factor=0 '$TMP/chain.yaml' <'$TMP/inf' >'$TMP/gpu' 2>'$TMP/err' &&
	grep -q 'c: message 2: a value that is not a number' '$TMP/err' &&
	[ \$(wc -l <'$TMP/gpu') -eq 2 ]"
mkdir -p "$TMP/installed/cuda"
cp "$top_builddir/kernels/.libs/doubler.so" "$TMP/installed/"
cp "$top_builddir/kernels/doubler-cuda.so" "$TMP/installed/cuda/"
check "the GPU module in cuda/ beside the plugin, as installed" sh -c "
	printf '{\"value\":3}\n' | RINGCTL_PLUGIN_PATH='$TMP/installed' '$RINGCTL' run --stats '$(cuda_topology doubler)' >'$TMP/gpu' 2>'$TMP/err' &&
	[ \"\$(cat '$TMP/gpu')\" = '{\"result\":6}' ] && grep -q ', on ' '$TMP/err'"
if [ -n "${RK_CUDA_EMULATE:-}" ]; then
	n=$((n + 1))
	echo "ok $n # skip the emulated device loads no GPU module"
else
	chmod o+w "$TMP/installed/cuda"
	check "a GPU module in a directory others may write is refused" sh -c "
		! printf '{\"value\":3}\n' | RINGCTL_PLUGIN_PATH='$TMP/installed' '$RINGCTL' run '$(cuda_topology doubler)' 2>'$TMP/err' &&
		grep -q 'doubler-cuda.so: refused' '$TMP/err'"
	chmod o-w "$TMP/installed/cuda"
fi
exit $failed
