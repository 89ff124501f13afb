#!/usr/bin/env bats
# security.bats - attacks on the runtime server by another local user,
# and by too many clients: links planted beside the socket, directories
# others may write, connections that never say hello, a socket we may
# not reach.

load common
setup() {
	unset RK_OPEN_DIR RK_OTHER_DIR
	server_setup
	VICTIM=$BATS_TEST_TMPDIR/victim
	echo precious >"$VICTIM"
}
teardown() {
	drop_open_dirs
	drop_throwaway_user
	server_teardown
}

# A directory for -S: ours, of mode $1.
open_dir() {
	RK_OPEN_DIR=$(mktemp -d /tmp/rkopen.XXXXXX)
	chmod "$1" "$RK_OPEN_DIR"
	sock=$RK_OPEN_DIR/s
}

# The server on $sock refuses to start, saying $1; none listens there,
# and the victim file is as it was.
refused_start() {
	run --separate-stderr timeout 10 "$RINGCTL" -S "$sock" server
	assert_failure 69
	[[ "$stderr" == *"the server did not start: $1"* ]] || {
		echo "stderr: $stderr"
		return 1
	}
	[ ! -S "$sock" ]
	[ "$(cat "$VICTIM")" = precious ]
}

@test "a symbolic link at NAME.pid is refused; what it points to is untouched" {
	open_dir 700
	ln -s "$VICTIM" "$sock.pid"
	refused_start "$sock.pid: refused: a symbolic link"
}

@test "a symbolic link at NAME.log is refused; what it points to is untouched" {
	open_dir 700
	ln -s "$VICTIM" "$sock.log"
	refused_start "$sock.log: refused: a symbolic link"
}

@test "a symbolic link at NAME.lock is refused" {
	open_dir 700
	ln -s "$VICTIM" "$sock.lock"
	refused_start "$sock.lock: refused: a symbolic link"
}

@test "a hard link at NAME.log or NAME.pid is refused; the other name's file is untouched" {
	open_dir 700
	ln "$VICTIM" "$sock.log"
	refused_start "$sock.log: refused: it has 2 names (a hard link)"
	rm "$sock.log"
	ln "$VICTIM" "$sock.pid"
	refused_start "$sock.pid: refused: it has 2 names (a hard link)"
}

@test "a FIFO at NAME.log does not hold up the server: it is refused" {
	open_dir 700
	mkfifo "$sock.log"
	refused_start "$sock.log: refused: not a regular file"
}

@test "a stale pid file of ours is taken over" {
	open_dir 700
	echo 999999 >"$sock.pid"
	chmod 600 "$sock.pid"
	run ringctl -S "$sock" server
	assert_success
	[ "$(cat "$sock.pid")" != 999999 ]
	kill -0 "$(cat "$sock.pid")"
	run ringctl -S "$sock" list
	assert_success
}

@test "another user's links and files in a sticky directory are refused" {
	throwaway_user || skip "$RK_USER_WHY"
	open_dir 1777
	# The kernel's own link protections (fs.protected_*) may stop some
	# of these first: the server must refuse them either way.
	as_user ln -s "$VICTIM" "$sock.pid"
	refused_start "$sock.pid: refused: "
	# Files of theirs, which they could read our log from, or hold
	# the lock of.
	for file in log lock; do
		rm -f "$sock".*
		as_user sh -c "umask 0; : >'$sock.$file'"
		refused_start "$sock.$file: refused: "
	done
}

@test "-S in a directory others may write is refused unless it is sticky" {
	for mode in 777 775 757; do
		open_dir "$mode"
		run --separate-stderr ringctl -S "$sock" server
		assert_failure 69
		[ "$stderr" = "ringctl: unsafe socket directory $RK_OPEN_DIR: others may write it and it is not sticky (chmod o-w,g-w or +t)" ]
		[ ! -S "$sock" ]
		run --separate-stderr env RINGCTL_SOCKET="$sock" "$RINGCTL" list
		assert_failure 69
		[[ "$stderr" == *"unsafe socket directory $RK_OPEN_DIR"* ]]
		rm -rf "$RK_OPEN_DIR"
	done
	open_dir 1777
	run ringctl -S "$sock" server
	assert_success
	run ringctl -S "$sock" list
	assert_success
}

@test "-S in a directory of another user is refused" {
	throwaway_user || skip "$RK_USER_WHY"
	open_dir 700
	chown "$RK_USER" "$RK_OPEN_DIR"
	run --separate-stderr ringctl -S "$sock" server
	assert_failure 69
	[ "$stderr" = "ringctl: unsafe socket directory $RK_OPEN_DIR: it belongs to uid $RK_USER_UID, not to you or root" ]
	[ ! -S "$sock" ]
}

@test "a socket another user may not reach: says so, not that none runs" {
	throwaway_user || skip "$RK_USER_WHY"
	other_uid_ringctl "$RK_USER_UID" || skip "$RK_OTHER_WHY"
	open_dir 700
	ringctl -S "$sock" server
	# The directory shuts them out, then the socket's own mode does.
	for mode in 700 755; do
		chmod "$mode" "$RK_OPEN_DIR"
		for cmd in list "launch x -k doubler"; do
			run --separate-stderr as_user "$RK_OTHER_DIR/ringctl" -S "$sock" $cmd
			assert_failure 69
			[ "$stderr" = "ringctl: cannot reach the server on $sock: Permission denied" ] || {
				echo "mode $mode, $cmd: $stderr"
				return 1
			}
		done
	done
	# No socket there at all: none runs.
	run --separate-stderr as_user "$RK_OTHER_DIR/ringctl" -S "$RK_OPEN_DIR/none" list
	assert_failure 69
	[ "$stderr" = "ringctl: no server running on $RK_OPEN_DIR/none" ]
}

# Hold $2 connections to socket $1 that never say hello, and report for
# each, one a line: "refused SECONDS TEXT" for one the server refused
# at once, "closed SECONDS" for one it closed, "open" for one still
# open after $3 seconds.  Touches $1.flood once all are connected.
flood() {
	/usr/bin/python3 - "$@" <<'EOF'
import select, socket, struct, sys, time
path, n, wait = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
conns = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    conns.append((s, time.monotonic(), bytearray()))
open(path + ".flood", "w").close()
left = {s.fileno(): c for c in conns for s in [c[0]]}
done = {}
end = time.monotonic() + wait
while left and time.monotonic() < end:
    r, _, _ = select.select([c[0] for c in left.values()], [], [], 0.1)
    for s in r:
        c = left[s.fileno()]
        b = s.recv(4096)
        if b:
            c[2].extend(b)
            continue
        done[s.fileno()] = (time.monotonic() - c[1], bytes(c[2]))
        del left[s.fileno()]
for s, _, _ in conns:
    if s.fileno() in left:
        print("open")
        continue
    t, got = done[s.fileno()]
    if got:
        typ, ln = struct.unpack("=II", got[:8])
        text = got[8:8 + ln].decode()
        xt, xl = struct.unpack("=II", got[8 + ln:16 + ln])
        status = struct.unpack("=i", got[16 + ln:20 + ln])[0]
        print("refused %.1f %d %d %d %s" % (t, typ, xt, status, text.strip()))
    else:
        print("closed %.1f" % t)
EOF
}

@test "a flood of connections that never say hello: refused past the limit, closed at the handshake timeout" {
	[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
	open_dir 700
	RINGCTL_MAX_CONNECTIONS=4 RINGCTL_HANDSHAKE_TIMEOUT=3 ringctl -S "$sock" server
	flood "$sock" 40 8 >"$BATS_TEST_TMPDIR/flood" &
	for _ in $(seq 100); do [ -e "$sock.flood" ] && break; sleep 0.05; done
	[ -e "$sock.flood" ]
	# While the flood holds every place, a client is told, not hung.
	run --separate-stderr timeout 5 "$RINGCTL" -S "$sock" list
	assert_failure 69
	[ "$stderr" = "ringctl: server busy: 4 connections open, the limit" ]
	wait
	run cat "$BATS_TEST_TMPDIR/flood"
	[ "$(grep -c '^refused .* 8 9 69 ringctl: server busy: 4 connections open, the limit$' "$BATS_TEST_TMPDIR/flood")" -eq 36 ]
	# The four let in are closed at the timeout (3 s), not before, and
	# not much after.
	[ "$(grep -c '^closed' "$BATS_TEST_TMPDIR/flood")" -eq 4 ]
	awk '/^closed/ && ($2 < 2.9 || $2 > 4.5) { bad = 1 } END { exit bad }' \
		"$BATS_TEST_TMPDIR/flood"
	run ringctl -S "$sock" list
	assert_success
	grep -q "refused a connection: 4 connections open, the limit" "$sock.log"
	[ "$(grep -c "a client said no hello within 3 s: closed" "$sock.log")" -eq 4 ]
}

@test "a client that says hello and then nothing is closed at the handshake timeout" {
	[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
	open_dir 700
	RINGCTL_HANDSHAKE_TIMEOUT=1 ringctl -S "$sock" server
	run /usr/bin/python3 -c '
import socket, struct, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
t = time.monotonic()
s.sendall(struct.pack("=III", 1, 4, int(sys.argv[2])))
s.recv(12)
s.settimeout(5)
print("closed" if s.recv(100) == b"" else "more", round(time.monotonic() - t))
' "$sock" "$(protocol_version)"
	assert_output "closed 1"
	grep -q "a client sent no command within 1 s of connecting: closed" "$sock.log"
}

@test "under a small limit, clients side by side and a recv holding on still work" {
	open_dir 700
	RINGCTL_MAX_CONNECTIONS=3 ringctl -S "$sock" launch d -k doubler
	ringctl -S "$sock" activate d
	ringctl -S "$sock" recv d -n 3 --timeout 10 >"$BATS_TEST_TMPDIR/out" &
	pid=$!
	values 3 | ringctl -S "$sock" send d &
	ringctl -S "$sock" list >/dev/null
	wait
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output '{"result":2}
{"result":4}
{"result":6}'
}

@test "bad limits in the environment keep the server from starting, saying why" {
	open_dir 700
	run --separate-stderr env RINGCTL_MAX_CONNECTIONS=0 "$RINGCTL" -S "$sock" server
	assert_failure 69
	[ "$stderr" = "ringctl: the server did not start: RINGCTL_MAX_CONNECTIONS: not a count from 1 to 1000000: 0" ]
	run --separate-stderr env RINGCTL_HANDSHAKE_TIMEOUT=soon "$RINGCTL" -S "$sock" server
	assert_failure 69
	[ "$stderr" = "ringctl: the server did not start: RINGCTL_HANDSHAKE_TIMEOUT: not a number of seconds above 0 and at most 1000000: soon" ]
}
