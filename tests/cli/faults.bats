#!/usr/bin/env bats
# faults.bats - fault injection: kernels that crash, hang or fail on
# purpose (tests/plugins/faulty.c), clients and servers that go away,
# a log on a full disk.  Each case checks that the rest lives on and
# that every message is accounted for.

load common
setup() {
	FAULTY=$TEST_PLUGINS/faulty.so
	server_setup
}
teardown() { server_teardown; }

@test "run: a kernel that writes to address 16 fails alone, naming the signal" {
	run --separate-stderr bash -c "printf '1\n\"crash\"\n3\n' | '$RINGCTL' run '$FAULTY:segv'"
	assert_failure 1
	assert_output '1'
	[ "$stderr" = "ringctl: segv failed: kernel crashed: Segmentation fault (signal 11) at 0x10" ]
}

@test "run: a kernel that faults on its producer's thread fails alone" {
	# Forced fusion: identity runs segv-elsewhere's batches on its own
	# thread where that one sleeps; it crashes only there (on its own
	# thread it fails the message instead: then try again).
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		run --separate-stderr bash -c "printf '1\n\"crash\"\n3\n' | RK_FUSE=1 '$RINGCTL' run 'identity | $FAULTY:segv-elsewhere'"
		[[ "$stderr" == *"ran on its own thread"* ]] || break
	done
	assert_failure 1
	assert_output '1'
	[ "$stderr" = "ringctl: segv-elsewhere failed: kernel crashed: Segmentation fault (signal 11) at 0x10" ]
}

@test "run: a kernel that overflows its stack is caught too" {
	run --separate-stderr bash -c "printf '1\n\"overflow\"\n' | '$RINGCTL' run '$FAULTY:segv'"
	assert_failure 1
	assert_output '1'
	[[ "$stderr" == *"segv failed: kernel crashed: Segmentation fault"* ]]
}

@test "run: a bad pointer handed to the runtime is the runtime's fault: a plain crash" {
	run bash -c "printf '1\n\"badptr\"\n' | '$RINGCTL' run '$FAULTY:segv' 2>/dev/null"
	assert_failure 139
}

@test "server: a crashing kernel goes FAILED, the server and its other kernels live on" {
	active d --kernel doubler
	active s --kernel "$FAULTY:segv"
	echo '"crash"' | ringctl send s
	for _ in $(seq 50); do [ "$(ringctl state s)" = FAILED ] && break; sleep 0.1; done
	run ringctl state s
	assert_output FAILED
	run ringctl stats s --format json
	assert_success
	[[ "$output" == *'"errors":1'* ]]
	[[ "$output" == *'kernel crashed: Segmentation fault'* ]]
	values 3 | ringctl send d
	run ringctl recv d -n 3
	assert_output '{"result":2}
{"result":4}
{"result":6}'
	# And the failed kernel is terminated like any other.
	run ringctl terminate s
	assert_success
}

@test "server: a crashing kernel is named in the server's log, with the signal and where" {
	active s --kernel "$FAULTY:segv"
	echo '"crash"' | ringctl send s
	for _ in $(seq 50); do [ "$(ringctl state s)" = FAILED ] && break; sleep 0.1; done
	run grep "error: kernel 's' failed: SIGSEGV (segmentation fault) in process()$" "$SOCK_DIR/default.log"
	assert_success
	# The server goes on.
	run ringctl list
	assert_success
}

@test "run: a kernel failing every Nth message, counted with --on-error=skip" {
	run --separate-stderr bash -c "seq 10 | '$RINGCTL' run --on-error=skip '$FAULTY:flaky'"
	assert_success
	assert_output "$(printf '1\n2\n4\n5\n7\n8\n10')"
	[ "$stderr" = "ringctl: warning: 3 messages failed, the last: flaky: message 9: message 9 fails on purpose" ]
	run --separate-stderr bash -c "seq 10 | '$RINGCTL' run --param every=4 '$FAULTY:flaky'"
	assert_failure 1
	[[ "$stderr" == *"flaky: message 4: message 4 fails on purpose"* ]]
}

@test "server: a kernel failing every 3rd message stays ACTIVE and counts them" {
	active f --kernel "$FAULTY:flaky"
	seq 9 | ringctl send f
	run ringctl recv f -n 6 --timeout 5
	assert_output "$(printf '1\n2\n4\n5\n7\n8')"
	run ringctl state f
	assert_output ACTIVE
	run ringctl stats f --format json
	[[ "$output" == *'"errors":3'* ]]
}

@test "server: terminate --timeout ends on a kernel that never returns; kill-server too" {
	active h --kernel "$FAULTY:hang"
	echo '"hang"' | ringctl send h
	sleep 0.2
	SECONDS=0
	run --separate-stderr ringctl terminate h --timeout 0.3
	assert_failure 6
	[ "$stderr" = "ringctl: kernel 'h' did not stop within 0.3 s; it stays TERMINATING" ]
	run ringctl state h
	assert_output TERMINATING
	# It already missed a deadline: kill-server does not wait again.
	run --separate-stderr ringctl kill-server
	assert_failure 6
	[[ "$stderr" == *"it stays TERMINATING; the server stops anyway" ]]
	for _ in $(seq 50); do [ -e "$SOCK_DIR/default.pid" ] || break; sleep 0.1; done
	[ ! -e "$SOCK_DIR/default.pid" ]
	[ "$SECONDS" -lt 5 ]
}

@test "run: Ctrl-C on a kernel that never returns says so; a second stops at once and counts" {
	fifo="$BATS_TEST_TMPDIR/in"
	mkfifo "$fifo"
	"$RINGCTL" run "$FAULTY:hang" <"$fifo" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	exec 7>"$fifo"
	printf '"hang"\n2\n' >&7
	sleep 0.3
	kill -INT "$pid"
	for _ in $(seq 50); do grep -q 'still draining' "$BATS_TEST_TMPDIR/err" && break; sleep 0.1; done
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	exec 7>&-
	[ "$status" -eq 130 ]
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output "ringctl: warning: still draining (at most 8 s more); interrupt again to stop at once
ringctl: stopped at once: 2 messages read, 0 lines written; what was in between is lost"
}

@test "run: one SIGTERM on a kernel that never returns ends the run at --drain-timeout" {
	fifo="$BATS_TEST_TMPDIR/in"
	mkfifo "$fifo"
	"$RINGCTL" run --drain-timeout 1.5 "$FAULTY:hang" <"$fifo" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	exec 7>"$fifo"
	printf '"hang"\n2\n' >&7
	sleep 0.3
	start=$(date +%s%N)
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	took=$(( ($(date +%s%N) - start) / 1000000 ))
	exec 7>&-
	[ "$status" -eq 143 ]
	# Within the limit and a little more, not for ever.
	[ "$took" -ge 1400 ] && [ "$took" -lt 4000 ]
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output "ringctl: stopped at once (the drain took longer than --drain-timeout): 2 messages read, 0 lines written; what was in between is lost"
	# Zero: the first signal stops at once.
	run bash -c "sleep 5 | '$RINGCTL' run --drain-timeout 0 doubler & sleep 0.5; kill -TERM \$!; wait \$!"
	[ "$status" -eq 143 ]
}

@test "server: a client that disconnects mid-stream loses nothing it sent" {
	active d --kernel doubler
	fifo="$BATS_TEST_TMPDIR/in"
	mkfifo "$fifo"
	"$RINGCTL" send d <"$fifo" 3>&- &
	pid=$!
	exec 7>"$fifo"
	values 1000 >&7
	for _ in $(seq 50); do
		[[ "$(ringctl stats d --format json)" == *'"messages_received":1000'* ]] && break
		sleep 0.1
	done
	kill -9 "$pid"
	wait "$pid" || true
	exec 7>&-
	run ringctl recv d -n 1000 --timeout 5
	assert_success
	[ "${#lines[@]}" -eq 1000 ]
	[ "${lines[999]}" = '{"result":2000}' ]
	run ringctl state d
	assert_output ACTIVE
}

@test "server killed with SIGKILL mid-send: the client says how many were accepted" {
	ringctl launch small --kernel doubler --queue-size 100
	ringctl activate small
	ringctl deactivate small
	fifo="$BATS_TEST_TMPDIR/in"
	mkfifo "$fifo"
	"$RINGCTL" send small <"$fifo" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	exec 7>"$fifo"
	values 500 >&7
	# The queue takes 100, then the send waits for room.
	for _ in $(seq 50); do
		[[ "$(ringctl list)" == *" 100/100 "* ]] && break
		sleep 0.1
	done
	sleep 0.3
	kill -9 "$(cat "$SOCK_DIR/default.pid")"
	status=0
	wait "$pid" || status=$?
	exec 7>&-
	[ "$status" -eq 69 ]
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output "ringctl: lost the server on $SOCK_DIR/default; it had accepted at least 100 messages"
}

@test "a log that cannot grow: the server goes on, and the client is told" {
	# The server refuses a log that is a link (to /dev/full, say): a
	# log at the file size limit fails its writes as a full disk would.
	mkdir -m 700 "$SOCK_DIR"
	head -c 1024 /dev/zero >"$SOCK_DIR/default.log"
	chmod 600 "$SOCK_DIR/default.log"
	run --separate-stderr bash -c "trap '' XFSZ; ulimit -f 1; exec '$RINGCTL' launch d --kernel doubler"
	assert_success
	[[ "$stderr" == *"warning: the server's log $SOCK_DIR/default.log cannot be written (File too large): "*" lost" ]]
	ringctl activate d 2>/dev/null
	values 2 | ringctl send d 2>/dev/null
	run --separate-stderr ringctl recv d -n 2 --timeout 5
	assert_output '{"result":2}
{"result":4}'
}

@test "commands side by side in the server each parse their own options" {
	active d --kernel doubler
	pids=()
	for _ in $(seq 32); do
		bash -c "for i in 1 2 3 4 5; do values 2 | '$RINGCTL' send d --timeout 5 --on-error=skip && '$RINGCTL' stats d --format json >/dev/null && '$RINGCTL' list --json >/dev/null || exit 1; done" &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do wait "$pid"; done
	run ringctl recv d -n 320 --timeout 5
	assert_success
	[ "${#lines[@]}" -eq 320 ]
}

@test "a plugin others could have written is refused" {
	dir="$BATS_TEST_TMPDIR/plugins"
	mkdir -p "$dir"
	cp "$TEST_PLUGINS/two-kernels.so" "$dir/p.so"
	chmod 755 "$dir"
	chmod 666 "$dir/p.so"
	run --separate-stderr bash -c "echo 1 | '$RINGCTL' run '$dir/p.so:first'"
	assert_failure 1
	[ "$stderr" = "ringctl: $dir/p.so: refused: $dir/p.so is writable by others (mode 0666)" ]
	chmod 644 "$dir/p.so"
	chmod 777 "$dir"
	run --separate-stderr bash -c "echo 1 | '$RINGCTL' run '$dir/p.so:first'"
	assert_failure 1
	chmod 1777 "$dir"
	run bash -c "echo 1 | '$RINGCTL' run '$dir/p.so:first'"
	assert_success
	assert_output 1
	chmod 755 "$dir"
}

@test "run: a kernel that calls abort() or fails an assert is named" {
	# Once the run died with 134 and nothing said.  Not isolated: glibc
	# aborts on a corrupt heap holding its own lock.
	run --separate-stderr bash -c "printf '1\n\"abort\"\n3\n' | '$RINGCTL' run '$FAULTY:bail'"
	assert_failure 134
	[[ "$stderr" == *"ringctl: kernel 'bail' aborted in its own code: ringctl ends with it"* ]]
	run --separate-stderr bash -c "printf '1\n\"assert\"\n3\n' | '$RINGCTL' run '$FAULTY:bail'"
	assert_failure 134
	[[ "$stderr" == *"Assertion"*"failed."* ]]
	[[ "$stderr" == *"ringctl: kernel 'bail' aborted in its own code: ringctl ends with it"* ]]
}

# Kernel b of the server ends the process on the message $1: the server
# is gone, its log names b and what it did ($2), the socket and pid
# file are removed, and the next launch starts a new server.
server_ended_by() {
	active b --kernel "$FAULTY:bail"
	pid=$(cat "$SOCK_DIR/default.pid")
	echo "\"$1\"" | ringctl send b || true
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	run kill -0 "$pid"
	assert_failure
	run grep "kernel 'b' $2 in its own code: the server ends with it" "$SOCK_DIR/default.log"
	assert_success
	[ ! -e "$SOCK_DIR/default" ]
	[ ! -e "$SOCK_DIR/default.pid" ]
	run --separate-stderr ringctl launch d -k doubler
	assert_success
}

@test "server: an aborting kernel is logged; the next launch starts afresh" {
	server_ended_by abort aborted
}

@test "a SIGABRT from outside ends the server, blaming no kernel" {
	active b --kernel "$FAULTY:bail"
	pid=$(cat "$SOCK_DIR/default.pid")
	kill -ABRT "$pid"
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	run kill -0 "$pid"
	assert_failure
	run grep "aborted in its own code" "$SOCK_DIR/default.log"
	assert_failure
}

@test "run: a kernel that calls exit(0) is named, and the run is not a success" {
	run --separate-stderr bash -c "printf '1\n\"exit\"\n3\n' | '$RINGCTL' run '$FAULTY:bail'"
	assert_failure 1
	[[ "$stderr" == *"ringctl: kernel 'bail' called exit() in its own code: ringctl ends with it"* ]]
}

@test "server: a kernel that calls exit() is logged; the next launch starts afresh" {
	server_ended_by exit "called exit()"
}
