#!/usr/bin/env bats
# stats.bats - `ringctl stats`: real counters, in three formats.

load common
setup() { server_setup; active doubler; }
teardown() { server_teardown; }

@test "stats table counts what the kernel did" {
	values 10 | ringctl send doubler
	ringctl recv doubler -n 10 >/dev/null
	ringctl deactivate doubler
	run ringctl stats
	assert_success
	assert_line --index 0 --regexp '^ID +STATE +PROCESSED +DROPPED +ERRORS +P50 ns +P99 ns +MSGS/S$'
	assert_line --regexp '^doubler +DEACTIVATED +10 +0 +0 '
	assert_line --regexp '^1 kernels, 0 active, 10 processed, 0 dropped, 0 errors'
	while IFS= read -r line; do
		[ "${#line}" -le 80 ]
	done <<<"$output"
}

@test "stats --format json uses the telemetry names" {
	printf '{"value":1}\n{"value":9223372036854775807}\n{"value":2}\n' | ringctl send doubler
	ringctl recv doubler -n 2 >/dev/null
	ringctl deactivate doubler
	run ringctl stats doubler --format json
	assert_success
	assert_output --regexp '^\{"id":"doubler","state":"DEACTIVATED","backend":"cpu","messages_received":3,"messages_processed":2,"messages_sent":2,"messages_dropped":0,"errors":1,"last_error":"9223372036854775807 doubled overflows int64","input_depth":0,'
	assert_output --partial '"latency_p50_ns":'
	assert_output --partial '"throughput":'
	assert_output --partial '"uptime":'
	if command -v jq >/dev/null; then
		run bash -c "'$RINGCTL' stats --format json | jq -c 'select(.summary) | .summary.total_processed'"
		assert_output 2
	fi
}

@test "stats --format prometheus" {
	values 4 | ringctl send doubler
	ringctl recv doubler -n 4 >/dev/null
	ringctl deactivate doubler
	run ringctl stats --format prometheus
	assert_success
	assert_line '# TYPE ringctl_messages_processed_total counter'
	assert_line 'ringctl_messages_processed_total{kernel="doubler"} 4'
	assert_line 'ringctl_queue_messages{kernel="doubler",queue="input"} 0'
}

@test "stats --watch repeats until the client goes" {
	run bash -c "timeout 1 '$RINGCTL' stats --watch=0.2 --format json | grep -c '\"id\":\"doubler\"'"
	[ "$output" -ge 3 ]
}

@test "stats --watch into a pipe writes timestamped JSON records" {
	run bash -c "timeout 1 '$RINGCTL' stats --watch=0.2"
	[ "${#lines[@]}" -ge 3 ]
	for line in "${lines[@]}"; do
		[[ "$line" =~ ^\{\"time\":[0-9]{10}\.[0-9]{3},\"id\":\"doubler\", ]]
	done
	[[ "$output" != *"ID "* ]]
}

@test "stats --watch on a terminal redraws the screen in place" {
	command -v script >/dev/null || skip "no script(1) for a terminal"
	run script -qc "timeout 1 '$RINGCTL' stats --watch=0.2" /dev/null
	screens=$(grep -o $'\033\[H\033\[2J' <<<"$output" | wc -l)
	[ "$screens" -ge 3 ]
	[[ "$output" == *"doubler "*"ACTIVE"* ]]
	[[ "$output" != *'"time"'* ]]
}

@test "stats shows the rate now beside the totals, and the last error" {
	# A steady stream for a while: the rate of the last second is not 0.
	values 30000 | ringctl send doubler &
	sender=$!
	ringctl recv doubler -n 30000 >/dev/null
	wait "$sender"
	run ringctl stats doubler --format json
	[[ "$output" =~ \"rate\":[0-9.]+ ]]
	# Once it has done nothing for a second, the rate is 0; the lifetime
	# average (throughput) stays.
	ringctl deactivate doubler
	sleep 1.2
	run ringctl stats doubler --format json
	assert_output --partial '"rate":0.0,'
	assert_output --regexp '"throughput":[1-9]'
	run ringctl stats
	assert_line --regexp '^doubler +DEACTIVATED +30000 +0 +0 +[0-9]+ +[0-9]+ +0$'
	ringctl reactivate doubler
	printf '{"value":9223372036854775807}\n' | ringctl send doubler
	for _ in $(seq 50); do
		run ringctl stats
		[[ "$output" == *"last error"* ]] && break
		sleep 0.1
	done
	assert_line 'doubler: last error: 9223372036854775807 doubled overflows int64'
}

@test "stats of an unknown kernel is 3; a bad format is 2" {
	run --separate-stderr ringctl stats ghost
	assert_failure 3
	run --separate-stderr ringctl stats --format xml
	assert_failure 2
}
