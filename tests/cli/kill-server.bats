#!/usr/bin/env bats
# kill-server.bats - `ringctl kill-server`: every kernel drained and
# stopped, then the server, its socket and pid file gone.

load common
setup() { server_setup; }
teardown() { server_teardown; }

@test "kill-server stops the server and cleans up after it" {
	active doubler
	pid=$(cat "$SOCK_DIR/default.pid")
	run --separate-stderr ringctl kill-server
	assert_success
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$pid" 2>/dev/null
	[ ! -e "$SOCK_DIR/default" ]
	[ ! -e "$SOCK_DIR/default.pid" ]
	grep -q "kill-server" "$SOCK_DIR/default.log"
}

@test "kill-server drains the kernels first" {
	active total -k sum
	values 1000 | ringctl send total
	run ringctl kill-server
	assert_success
	run --separate-stderr ringctl list
	assert_failure 69
}

@test "kill-server with a usage error does not wait for the server" {
	ringctl launch d -k doubler
	run --separate-stderr timeout 5 "$RINGCTL" kill-server extra
	assert_failure 2
	run ringctl state d
	assert_output LAUNCHED
}

@test "with no server, kill-server is 69" {
	run --separate-stderr ringctl kill-server
	assert_failure 69
}

@test "launch right after kill-server starts a new server, every time" {
	# kill-server once returned before the old server had let go of its
	# lock, and the launch that followed failed with 69.
	for round in $(seq 20); do
		ringctl launch d -k doubler
		run --separate-stderr ringctl kill-server
		[ "$status" -eq 0 ] || { echo "round $round: kill-server: $stderr"; return 1; }
		run --separate-stderr ringctl launch d -k doubler
		[ "$status" -eq 0 ] || { echo "round $round: launch: $status $stderr"; return 1; }
		ringctl kill-server
	done
}

@test "kill-server waits for the server to let go, a client still on it" {
	for round in 1 2 3; do
		active d -k doubler
		ringctl recv d --follow >/dev/null 2>&1 &
		follower=$!
		sleep 0.2
		run --separate-stderr ringctl kill-server
		assert_success
		# Its socket, pid file and lock are released by now.
		[ ! -e "$SOCK_DIR/default" ]
		[ ! -e "$SOCK_DIR/default.pid" ]
		run --separate-stderr ringctl launch d -k doubler
		[ "$status" -eq 0 ] || { echo "round $round: launch: $status $stderr"; return 1; }
		ringctl kill-server
		wait "$follower" || true
	done
}
