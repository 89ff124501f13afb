#!/bin/bash
# server.sh - `make soak`, the server path: rounds of send and recv
# between processes against one runtime server, with what goes wrong
# in use: senders killed mid-stream, readers that stop early (`recv |
# head`, `recv --follow | head`), kill-server then launch again at once.
#
# After each round every line a sender got accepted is accounted for:
# read by a reader (in order, each once) or counted as dropped by the
# kernel (what a reader took away and never read) - nothing else, and
# nothing left queued.  Usage: server.sh RINGCTL [SECONDS]; RK_SOAK_SEED
# replays a run (bash's RANDOM).  Exits 0 when every round balances.
set -u

RINGCTL=$1
SECONDS_WANTED=${2:-${SOAK_SECONDS:-1800}}
SEED=${RK_SOAK_SEED:-$$}
RANDOM=$SEED
echo "server soak: seed $SEED, ${SECONDS_WANTED} s"

DIR=$(mktemp -d /tmp/rksoak.XXXXXX)
chmod 700 "$DIR"
export XDG_RUNTIME_DIR=$DIR
unset RINGCTL_SOCKET
trap '"$RINGCTL" kill-server >/dev/null 2>&1; rm -rf "$DIR"' EXIT

ringctl() { "$RINGCTL" "$@"; }

# What goes wrong is said on the original standard error (fd 3): the
# rounds run with theirs discarded, bash's notices of the senders it
# killed included.
exec 3>&2
fail() {
	echo "server soak: seed $SEED round $round: $*" >&3
	exit 1
}

# A field of the kernel's telemetry (stats --format json).
stat() {
	ringctl stats d --format json | sed -n "s/.*\"$1\":\\([0-9]*\\).*/\\1/p"
}

# Read exactly $1 lines of standard input (read takes a byte at a
# time: nothing more leaves the pipe), then leave.
read_lines() {
	local i line
	for ((i = 0; i < $1; i++)); do
		IFS= read -r line || return 0
		printf '%s\n' "$line"
	done
}

end=$((SECONDS + SECONDS_WANTED))
round=0
exec 2>/dev/null
while [ $SECONDS -lt $end ]; do
	round=$((round + 1))
	queue=$(((RANDOM % 4 == 0) ? 1 : (RANDOM % 3 == 0) ? 1024 : 1 + RANDOM % 64))
	n=$((1 + RANDOM % 3000))
	ringctl launch d -k doubler --queue-size "$queue" >/dev/null 2>&1 ||
		fail "launch (queue $queue) failed"
	ringctl activate d || fail "activate failed"

	# The sender, killed now and then before it is done.
	seq 1 "$n" | sed 's/.*/{"value":&}/' >"$DIR/in"
	ringctl send d <"$DIR/in" 2>/dev/null &
	sender=$!
	if [ $((RANDOM % 4)) -eq 0 ]; then
		sleep "0.0$((RANDOM % 10))"
		kill -9 "$sender" 2>/dev/null
	fi

	# Readers, some stopping early, until the sender is done and the
	# queue is empty.
	: >"$DIR/out"
	while :; do
		alive=0
		kill -0 "$sender" 2>/dev/null && alive=1
		case $((RANDOM % 4)) in
		0) ringctl recv d -n $((1 + RANDOM % 500)) --timeout 0.2 2>/dev/null |
			read_lines $((RANDOM % 300)) >>"$DIR/out" ;;
		1) ringctl recv d --follow --timeout 1 2>/dev/null |
			read_lines $((RANDOM % 300)) >>"$DIR/out" ;;
		*) ringctl recv d -n $((1 + RANDOM % 2000)) --timeout 0.2 \
			>>"$DIR/out" 2>/dev/null ;;
		esac
		[ $alive -eq 0 ] && [ "$(stat input_depth)" = 0 ] &&
			[ "$(stat output_depth)" = 0 ] && break
	done
	wait "$sender" 2>/dev/null

	# A recv whose client left may still be counting what it lost.
	read_count=$(wc -l <"$DIR/out")
	for ((try = 0; try < 50; try++)); do
		received=$(stat messages_received)
		dropped=$(stat messages_dropped)
		[ $((read_count + dropped)) -ge "$received" ] && break
		sleep 0.1
	done
	# Accepted = what the kernel took (nothing waits in its input).
	[ "$read_count" -le "$received" ] ||
		fail "$read_count read but the kernel took only $received"
	[ $((read_count + dropped)) -eq "$received" ] ||
		fail "$received taken, $read_count read + $dropped dropped"
	# In order, each once, and each the double of a line sent.
	awk -F'[:}]' 'prev != "" && $2 <= prev { bad = 1 } $2 % 2 { bad = 1 }
		{ prev = $2 } END { exit bad }' "$DIR/out" ||
		fail "replies out of order or not doubled"
	if [ "$(stat messages_sent)" -lt "$read_count" ]; then
		fail "more read than the kernel sent"
	fi

	# Now and then a restart, and the next launch must just work.
	if [ $((RANDOM % 5)) -eq 0 ]; then
		ringctl kill-server >/dev/null 2>&1 || fail "kill-server failed"
	else
		ringctl terminate d >/dev/null 2>&1 || fail "terminate failed"
	fi
done
echo "server soak: $round rounds, every line accounted for"
