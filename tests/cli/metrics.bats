#!/usr/bin/env bats
# metrics.bats - the Prometheus exposition: valid by promtool, served
# by `server --metrics`, and scraped by a real Prometheus.

load common
setup() { server_setup; }
teardown() {
	[ -n "${prom_pid:-}" ] && kill "$prom_pid" 2>/dev/null
	server_teardown
}

# The port the server's log says its metrics are on.
metrics_port() {
	local port
	for _ in $(seq 50); do
		port=$(sed -n 's|.*metrics on http://127\.0\.0\.1:\([0-9]*\)/metrics$|\1|p' "$SOCK_DIR/default.log" 2>/dev/null)
		[ -n "$port" ] && { echo "$port"; return; }
		sleep 0.1
	done
	return 1
}

get() {
	/usr/bin/python3 -c 'import sys, urllib.request
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=5)
    sys.stdout.write(r.read().decode())
    print(r.status, file=sys.stderr)
except urllib.error.HTTPError as e:
    print(e.code, file=sys.stderr)' "$1"
}

work() {
	ringctl launch doubler
	ringctl activate doubler
	values 7 | ringctl send doubler
	ringctl recv doubler -n 7 >/dev/null
}

@test "the exposition follows the conventions, and promtool accepts it" {
	work
	run ringctl stats --format prometheus
	assert_success
	assert_line '# TYPE ringctl_messages_processed_total counter'
	assert_line 'ringctl_messages_processed_total{kernel="doubler"} 7'
	assert_line '# TYPE ringctl_latency_seconds histogram'
	assert_line 'ringctl_latency_seconds_bucket{kernel="doubler",le="+Inf"} 7'
	assert_line 'ringctl_latency_seconds_count{kernel="doubler"} 7'
	assert_line --regexp '^ringctl_latency_seconds_sum\{kernel="doubler"\} [0-9.]+$'
	assert_line 'ringctl_kernel_state{kernel="doubler",state="ACTIVE"} 1'
	assert_line 'ringctl_kernel_state{kernel="doubler",state="FAILED"} 0'
	assert_line 'ringctl_kernel_info{kernel="doubler",name="doubler",backend="cpu",replicas="1"} 1'
	assert_line 'ringctl_queue_capacity_messages{kernel="doubler",queue="input"} 1000'
	# Buckets only grow, up to the count.
	run bash -c "'$RINGCTL' stats --format prometheus | sed -n 's/^ringctl_latency_seconds_bucket.* //p'"
	prev=0
	for v in "${lines[@]}"; do [ "$v" -ge "$prev" ]; prev=$v; done
	[ "$prev" -eq 7 ]
	command -v promtool >/dev/null || skip "no promtool (Debian's prometheus package)"
	run bash -c "'$RINGCTL' stats --format prometheus | promtool check metrics"
	assert_success
	[ -z "$output" ]
}

@test "server --metrics serves /metrics on loopback; off unless asked" {
	ringctl server --metrics 0
	port=$(metrics_port)
	work
	run get "http://127.0.0.1:$port/metrics"
	assert_output --partial 'ringctl_messages_processed_total{kernel="doubler"} 7'
	run get "http://127.0.0.1:$port/"
	assert_output 404
	ringctl kill-server
	# Without --metrics nothing listens for HTTP.
	ringctl launch d -k doubler
	! grep -q "metrics on" "$SOCK_DIR/default.log"
	run --separate-stderr ringctl -L x server --metrics 'nonsense'
	assert_failure
	[[ "$stderr" == *"--metrics wants [HOST:]PORT, not 'nonsense'"* ]]
}

@test "a real Prometheus scrapes the server, and PromQL sees the count" {
	command -v prometheus >/dev/null || skip "no prometheus (Debian's prometheus package)"
	ringctl server --metrics 0
	port=$(metrics_port)
	work
	prom_port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$BATS_TEST_TMPDIR/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: ringctl
    static_configs:
      - targets: ['127.0.0.1:$port']
YAML
	prometheus --config.file="$BATS_TEST_TMPDIR/prometheus.yml" \
		--storage.tsdb.path="$BATS_TEST_TMPDIR/tsdb" \
		--web.listen-address="127.0.0.1:$prom_port" \
		>"$BATS_TEST_TMPDIR/prometheus.log" 2>&1 &
	prom_pid=$!
	query="http://127.0.0.1:$prom_port/api/v1/query?query=ringctl_messages_processed_total"
	for _ in $(seq 150); do
		out=$(get "$query" 2>/dev/null) || true
		[[ "$out" == *'"kernel":"doubler"'*'"7"'* ]] && break
		sleep 0.2
	done
	echo "$out"
	[[ "$out" == *'"job":"ringctl"'* ]]
	[[ "$out" == *'"kernel":"doubler"'*'"7"'* ]]
}
