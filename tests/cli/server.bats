#!/usr/bin/env bats
# server.bats - the runtime server: where it lives, who may talk to it,
# how it starts, stops, and comes back.

load common
setup() {
	unset RK_OPEN_DIR RK_OTHER_DIR
	server_setup
}
teardown() {
	drop_open_dirs
	server_teardown
}

@test "commands that need a server and find none exit 69" {
	for cmd in "state x" "activate x" "list" "stats" "recv x" "kill-server"; do
		run --separate-stderr ringctl $cmd
		[ "$status" -eq 69 ] || { echo "$cmd: $status"; return 1; }
		[ "$stderr" = "ringctl: no server running on $SOCK_DIR/default" ]
	done
}

@test "--help of a server command needs no server" {
	run ringctl send --help
	assert_success
	assert_line --index 0 'Usage: ringctl send ID [FILE...] [OPTIONS]'
}

@test "two servers side by side with -L" {
	ringctl -L one launch a -k doubler
	ringctl -L two launch b -k doubler
	run ringctl -L one list --json
	assert_output --partial '"id":"a"'
	refute_output --partial '"id":"b"'
	run ringctl -L two state b
	assert_output LAUNCHED
	run --separate-stderr ringctl -L two state a
	assert_failure 3
	ringctl -L one kill-server
	ringctl -L two kill-server
}

@test "-S and RINGCTL_SOCKET name a socket" {
	sock="$RK_DIR/explicit.sock"
	ringctl -S "$sock" launch a -k identity
	[ -S "$sock" ]
	run env RINGCTL_SOCKET="$sock" "$RINGCTL" state a
	assert_output LAUNCHED
	ringctl -S "$sock" kill-server
}

@test "an unsafe socket directory is refused" {
	mkdir -m 755 "$SOCK_DIR"
	run --separate-stderr ringctl launch doubler
	assert_failure 69
	[ "$stderr" = "ringctl: unsafe socket directory $SOCK_DIR: it must be a directory owned by you, mode 0700" ]
	rmdir "$SOCK_DIR"
	ln -s /tmp "$SOCK_DIR"
	run --separate-stderr ringctl launch doubler
	assert_failure 69
}

@test "server --foreground runs here; kill-server stops it and cleans up" {
	"$RINGCTL" server --foreground --log-level debug 2>"$BATS_TEST_TMPDIR/log" 3>&- &
	pid=$!
	for _ in $(seq 50); do [ -S "$SOCK_DIR/default" ] && break; sleep 0.1; done
	active doubler
	run ringctl kill-server
	assert_success
	wait "$pid"
	[ ! -e "$SOCK_DIR/default" ]
	[ ! -e "$SOCK_DIR/default.pid" ]
	grep -q "listening on" "$BATS_TEST_TMPDIR/log"
	grep -q "stopped" "$BATS_TEST_TMPDIR/log"
}

@test "a second server on the same socket is refused" {
	ringctl server
	run --separate-stderr ringctl server --foreground
	assert_failure 69
	[ "$stderr" = "ringctl: a server already runs on this socket" ]
	run ringctl server          # detached: one runs, fine
	assert_success
}

@test "a server killed with SIGKILL leaves nothing that blocks the next" {
	ringctl launch doubler
	kill -9 "$(cat "$SOCK_DIR/default.pid")"
	sleep 0.2
	run --separate-stderr ringctl list
	assert_failure 69
	run ringctl launch doubler
	assert_success
	run ringctl state doubler
	assert_output LAUNCHED
}

@test "kill-server terminates every kernel gracefully" {
	active total -k sum
	values 100 | ringctl send total
	run --separate-stderr ringctl kill-server
	assert_success
	sleep 0.2
	[ ! -e "$SOCK_DIR/default.pid" ]
}

@test "a client of another protocol version is refused, clearly" {
	command -v python3 >/dev/null || skip "no python3"
	ringctl server
	run python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(struct.pack("=III", 1, 4, 99))
t, n = struct.unpack("=II", s.recv(8))
print(t, struct.unpack("=I", s.recv(n))[0])
' "$SOCK_DIR/default"
	assert_output "3 $(protocol_version)"
	grep -q "a client speaks protocol 99" "$SOCK_DIR/default.log"
}

@test "a connection from another uid is refused and logged" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to be another user"
	command -v setpriv >/dev/null || skip "no setpriv"
	other_uid_ringctl 65534 || skip "$RK_OTHER_WHY"
	# A socket another user can reach: only the peer check stops them.
	RK_OPEN_DIR=$(mktemp -d /tmp/rkopen.XXXXXX)
	chmod 755 "$RK_OPEN_DIR"
	sock="$RK_OPEN_DIR/s"
	ringctl -S "$sock" server
	chmod 777 "$sock"
	run --separate-stderr as_uid 65534 "$RK_OTHER_DIR/ringctl" -S "$sock" list
	[ "$status" -eq 69 ]
	run grep "refused a connection from uid 65534" "$sock.log"
	assert_success
}

@test "a server of another uid on our socket's path is refused before a byte" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to be another user"
	command -v setpriv >/dev/null || skip "no setpriv"
	# Debian's python3: one under root's home the other user cannot run.
	[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
	# Another user who can write the socket's directory listens in the
	# server's place and records what a client tells it.
	# Sticky, as /tmp is: a directory others may write and not sticky
	# is refused before any connection.
	RK_OPEN_DIR=$(mktemp -d /tmp/rkopen.XXXXXX)
	chmod 1777 "$RK_OPEN_DIR"
	sock="$RK_OPEN_DIR/s"
	setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
open(sys.argv[1] + ".ready", "w").close()
c, _ = s.accept()
c.settimeout(2)
got = b""
try:
    while True:
        b = c.recv(4096)
        if not b:
            break
        got += b
except OSError:
    pass
open(sys.argv[1] + ".heard", "w").write(str(len(got)))
' "$sock" &
	for i in $(seq 100); do [ -e "$sock.ready" ] && break; sleep 0.05; done
	[ -e "$sock.ready" ] || skip "uid 65534 cannot listen in $RK_OPEN_DIR"
	run --separate-stderr ringctl -S "$sock" list
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"$sock: the server there runs as uid 65534, not as you (uid 0): refusing to talk to it"* ]]
	[[ "$stderr" != *"no server running"* ]]
	wait
	[ "$(cat "$sock.heard")" = 0 ]
	rm -f "$sock" "$sock.ready" "$sock.heard"
}

@test "frames over the limit end the connection, the server lives on" {
	command -v python3 >/dev/null || skip "no python3"
	ringctl launch d -k doubler
	python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(struct.pack("=III", 1, 4, int(sys.argv[2])))
s.recv(12)
s.sendall(struct.pack("=II", 4, 0xffffffff))
print(s.recv(100))
' "$SOCK_DIR/default" "$(protocol_version)"
	run ringctl state d
	assert_output LAUNCHED
}

@test "servers lists this user's servers, as tmux ls does" {
	run ringctl servers
	assert_success
	assert_output --regexp '^NAME +STATE +PID +KERNELS +SOCKET$'
	ringctl launch doubler
	ringctl -L other launch a -k doubler
	ringctl -L other launch b -k identity
	run ringctl servers
	assert_line --regexp "^default +running +[0-9]+ +1  $SOCK_DIR/default$"
	assert_line --regexp "^other +running +[0-9]+ +2  $SOCK_DIR/other$"
	run ringctl servers --json
	assert_line --regexp '^\{"name":"other","state":"running","pid":[0-9]+,"kernels":2,"socket":"[^"]+/other"\}$'
	# One killed outright leaves its socket: stale, and the next launch
	# of that name starts afresh.
	kill -9 "$(cat "$SOCK_DIR/other.pid")"
	for _ in $(seq 50); do kill -0 "$(cat "$SOCK_DIR/other.pid")" 2>/dev/null || break; sleep 0.1; done
	run ringctl servers
	assert_line --regexp "^other +stale +"
	ringctl -L other launch c -k doubler
	run ringctl servers
	assert_line --regexp "^other +running +[0-9]+ +1  "
}

@test "the README's server wiring example runs as printed" {
	# The block after "A pipeline can be wired in the server too", its
	# commands as printed, on a free port instead of 9464.
	awk '/^A pipeline can be wired in the server too/ { on = 1; next }
	     on && /^A topology file/ { exit }
	     on && /^    \$ / { sub(/^    \$ /, ""); print }' "$top_srcdir/README" |
		sed 's/--metrics 9464/--metrics 0/' >"$BATS_TEST_TMPDIR/cmds"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/cmds")" -eq 10 ]
	run bash -c "ringctl() { '$RINGCTL' \"\$@\"; }; set -e; . '$BATS_TEST_TMPDIR/cmds'"
	assert_success
	assert_line 'd -> t'
	assert_line '{"count":2,"sum":6}'
	assert_line 'ringctl_messages_processed_total{kernel="d"} 2'
	assert_line --regexp '^default +running +[0-9]+ +2  '
}
