#!/usr/bin/env bats
# backend.bats - choosing the backend from the command line: cuda where
# there is no device is a clear error, auto falls back quietly, and with
# the device emulated (RK_CUDA_EMULATE: the device loop in host threads)
# a topology on cuda gives what the CPU gives, end to end.

load common
setup() {
	server_setup
	unset RK_CUDA_EMULATE RK_CUDA_EMULATE_WATCHDOG
	# No GPU module: the machine has no CUDA backend at all.
	export RK_CUDA_MODULE=/nonexistent/rk-cuda.so
	TOPO=$BATS_TEST_TMPDIR/cuda.yaml
	printf 'backend: cuda\nkernels:\n  doubler: {}\npipeline: [doubler]\n' >"$TOPO"
}
teardown() { server_teardown; }

@test "run on cuda without a device: the reason, exit 1" {
	run --separate-stderr ringctl run "$TOPO" < <(values 3)
	assert_failure 1
	[ -z "$output" ]
	[[ $stderr == *"kernel 'doubler': the CUDA backend is not installed"* ]]
}

@test "auto without a device runs on the CPU, silently" {
	sed -i 's/cuda/auto/' "$TOPO"
	run --separate-stderr ringctl run "$TOPO" < <(values 3)
	assert_success
	[ -z "$stderr" ]
	[ "${lines[2]}" = '{"result":6}' ]
}

@test "a kernel without a device form on cuda: refused by name" {
	export RK_CUDA_EMULATE=4
	printf 'backend: cuda\nkernels:\n  identity: {}\npipeline: [identity]\n' >"$TOPO"
	run --separate-stderr ringctl run "$TOPO" < <(values 1)
	assert_failure 1
	[[ $stderr == *"identity has no device form"* ]]
}

@test "emulated device: the same output as the CPU, stats name it" {
	export RK_CUDA_EMULATE=4
	values 20000 >"$BATS_TEST_TMPDIR/in"
	ringctl run doubler <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/cpu"
	run --separate-stderr ringctl run --stats "$TOPO" <"$BATS_TEST_TMPDIR/in"
	assert_success
	printf '%s\n' "$output" | cmp - "$BATS_TEST_TMPDIR/cpu"
	[[ $stderr == *"received 20000, processed 20000"*", on emulated device (host threads)"* ]]
}

@test "emulated device with a watchdog: relaunched per batch, the same output" {
	export RK_CUDA_EMULATE=4 RK_CUDA_EMULATE_WATCHDOG=1
	values 20000 >"$BATS_TEST_TMPDIR/in"
	ringctl run doubler <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/cpu"
	run --separate-stderr ringctl run --stats "$TOPO" <"$BATS_TEST_TMPDIR/in"
	assert_success
	printf '%s\n' "$output" | cmp - "$BATS_TEST_TMPDIR/cpu"
	[[ $stderr == *"received 20000, processed 20000"* ]]
	# stats says which mode runs, in the table and the JSON.
	ringctl launch d -k doubler --backend cuda
	run ringctl stats
	assert_line --regexp '^d: on emulated device \(host threads\) \(relaunch\), '
	run ringctl stats d --json
	assert_output --partial '"device":{"name":"emulated device (host threads)","mode":"relaunch",'
}

@test "emulated device: a failing message is named, the rest delivered" {
	export RK_CUDA_EMULATE=4
	run --separate-stderr ringctl run "$TOPO" \
		< <(printf '{"value":1}\n{"value":9223372036854775807}\n{"value":2}\n')
	assert_failure 1
	[[ $stderr == *"doubler: message 2: the doubled value overflows int64"* ]]
	[ "${lines[0]}" = '{"result":2}' ]
}

@test "a topology that does not fit on the device is refused" {
	export RK_CUDA_EMULATE=2
	printf 'backend: cuda\nkernels:\n  a: {kernel: doubler, replicas: 3}\npipeline: [a]\n' >"$TOPO"
	run --separate-stderr ringctl run "$TOPO" < <(values 1)
	assert_failure 1
	[[ $stderr == *"does not fit on emulated device (host threads)"* ]]
}

@test "launch --backend cuda without a device: the reason, exit 1" {
	run --separate-stderr ringctl launch d --kernel doubler --backend cuda
	assert_failure 1
	[[ $stderr == *"the CUDA backend is not installed"* ]]
	run ringctl state d
	assert_failure 3
}

@test "launch --backend cuda, emulated: lifecycle, list and stats" {
	export RK_CUDA_EMULATE=4
	active d --kernel doubler --backend cuda
	values 1000 | ringctl send d
	run ringctl recv d -n 1000
	assert_success
	[ "${lines[999]}" = '{"result":2000}' ]
	ringctl deactivate d
	ringctl reactivate d
	run ringctl list
	assert_line --regexp '^d +doubler +ACTIVE +cuda '
	run ringctl stats
	assert_line --regexp '^d: on emulated device \(host threads\) \(persistent\), 1 threads, [0-9]+ batches$'
	ringctl terminate d
}

# Three vector kernels, each the only consumer of the one before.
chain_topology() {
	cat >"$TOPO" <<-YAML
	backend: $1
	kernels:
	  a: {kernel: scale, params: {factor: 2}}
	  b: {kernel: scale, params: {factor: 0.25}}
	  c: {kernel: vector-histogram, params: {min: 0, max: 100}}
	pipeline: [a, b, c]
	YAML
}

vectors() {
	for ((i = 0; i < $1; i++)); do
		printf '{"x":[%d,%d.5,%d]}\n' $((i % 200)) $((i % 50)) $((i % 7))
	done
}

@test "emulated device: kernels that feed one another share a device link, same output" {
	export RK_CUDA_EMULATE=8
	vectors 5000 >"$BATS_TEST_TMPDIR/in"
	chain_topology cpu
	ringctl run "$TOPO" <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/cpu"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/cpu")" -eq 5000 ]
	chain_topology cuda
	run --separate-stderr ringctl run --stats "$TOPO" <"$BATS_TEST_TMPDIR/in"
	assert_success
	printf '%s\n' "$output" | cmp - "$BATS_TEST_TMPDIR/cpu"
	[[ $stderr == *"stats: a: received 5000, processed 5000, sent 5000,"*", device link to b"* ]]
	[[ $stderr == *"stats: b: received 5000, processed 5000, sent 5000,"*", device link from a, device link to c"* ]]
	[[ $stderr == *"stats: c: received 5000, processed 5000, sent 5000,"*", device link from b"* ]]
	# RK_DEVICE_LINKS=0 keeps the edges on the host: the same again.
	RK_DEVICE_LINKS=0 run --separate-stderr ringctl run --stats "$TOPO" <"$BATS_TEST_TMPDIR/in"
	assert_success
	printf '%s\n' "$output" | cmp - "$BATS_TEST_TMPDIR/cpu"
	[[ $stderr != *"device link"* ]]
}

@test "emulated device: a message failing after a device link is named by its line" {
	export RK_CUDA_EMULATE=8
	chain_topology cuda
	# 3e38 doubles to infinity, and infinity times 0 is not a number.
	run --separate-stderr ringctl run -p b.factor=0 "$TOPO" \
		< <(printf '{"x":[1]}\n{"x":[3e38]}\n{"x":[2]}\n')
	assert_failure 1
	[[ $stderr == *"c: message 2: a value that is not a number"* ]]
	assert_equal "${#lines[@]}" 2
}

@test "emulated device: stats name the device links of launched kernels" {
	export RK_CUDA_EMULATE=8
	chain_topology cuda
	ringctl launch -f "$TOPO"
	for k in c b a; do ringctl activate "$k"; done
	vectors 300 | ringctl send a
	run ringctl recv c -n 300
	assert_success
	[ "${#lines[@]}" -eq 300 ]
	run ringctl stats
	assert_line --regexp '^b: on emulated device \(host threads\) \(persistent\), [0-9]+ threads, [0-9]+ batches, device link from a, device link to c$'
	run ringctl stats --format json b
	assert_output --partial '"link_from":"a","link_to":"c","utilization":null,"temperature_c":null,"power_w":null}}'
	run ringctl stats --format json a
	assert_output --partial '"link_from":null,"link_to":"b",'
	ringctl terminate a b c
}

@test "a tuning variable that is not one stops the command, naming it" {
	for v in RK_DEVICE_TIMEOUT=soon RK_DEVICE_TIMEOUT=0 RK_SPIN_NS=-1 \
		 RK_CUDA_POOL_MB=0 RK_CUDA_DEVICE=x RK_DEVICE_LINKS=no; do
		run --separate-stderr env "$v" "$RINGCTL" run doubler < <(values 1)
		[ "$status" -eq 78 ] || { echo "$v: $status $stderr"; false; }
		[[ "$stderr" == *"${v%%=*}=${v#*=}"* ]]
	done
	# Read by the library no more, set through ringctl as options:
	# this module exists nowhere.
	export RK_CUDA_MODULE=/nonexistent/other.so
	run --separate-stderr ringctl run "$TOPO" < <(values 1)
	assert_failure 1
	[[ "$stderr" == *"/nonexistent/other.so"* ]]
}
