#!/bin/sh
# ranks.sh - topologies placed across MPI ranks: the same file under
# mpirun with 2 and 3 ranks (oversubscribed on one machine) gives the
# output of the single-process run, byte for byte where the order is
# the topology's; ranks beyond the world are configuration errors; a
# rank whose kernel fails ends every rank.  Skips (77) without mpirun
# or the transport.
: "${top_builddir:?run by make check}"
: "${top_srcdir:?run by make check}"
: "${RINGCTL:=$top_builddir/src/ringctl}"
if [ -z "${MPIRUN:-}" ] || [ ! -x "$MPIRUN" ]; then
	echo "# no mpirun (install openmpi-bin, configure --with-mpi)"
	exit 77
fi
if [ ! -f "${RINGCTL_MPI_MODULE:-}" ]; then
	echo "# no MPI transport built (configure --with-mpi)"
	exit 77
fi
# CI runs as root, in containers without cross-memory attach.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
# Open MPI does not free all it allocates before exit: under
# AddressSanitizer, leaks are not what these tests look for.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
TMP=$(mktemp -d) || exit 1
trap 'rm -rf "$TMP"' EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); echo "not ok $n - $1"; failed=1
	[ -f "$TMP/err" ] && sed 's/^/# /' "$TMP/err" | head -20
}
mpi() {
	ranks=$1; shift
	timeout 120 "$MPIRUN" -n "$ranks" "$RINGCTL" "$@"
}

seq 1 100000 | sed 's/.*/{"value":&}/' >"$TMP/in.jsonl"

# same RANKS FILE DESCRIPTION: mpirun -n RANKS gives the one-process
# output of FILE, byte for byte.
same() {
	"$RINGCTL" run "$2" <"$TMP/in.jsonl" >"$TMP/one" 2>"$TMP/err"
	if mpi "$1" run "$2" <"$TMP/in.jsonl" >"$TMP/many" 2>"$TMP/err" \
	   && [ -s "$TMP/one" ] && cmp -s "$TMP/one" "$TMP/many"; then
		ok "$3"
	else
		not_ok "$3"
	fi
}

cat >"$TMP/line.yaml" <<'Y'
kernels:
  doubler: {rank: 1}
  id: {kernel: identity, rank: 2}
pipeline: [doubler, id]
Y
same 3 "$TMP/line.yaml" "a pipeline over 3 ranks: stdin on 0, doubler on 1, identity on 2"

cat >"$TMP/two.yaml" <<'Y'
kernels:
  doubler: {rank: 1}
edges:
  - {from: stdin, to: doubler}
  - {from: doubler, to: stdout}
Y
same 2 "$TMP/two.yaml" "2 ranks: typed messages across, JSON out on rank 0"

cat >"$TMP/replicas.yaml" <<'Y'
kernels:
  doubler: {replicas: 3, rank: 1}
  id: {kernel: identity, rank: 2}
pipeline: [doubler, id]
Y
same 3 "$TMP/replicas.yaml" "replicas on rank 1 keep the order across ranks"

cat >"$TMP/fan.yaml" <<'Y'
kernels:
  small: {kernel: filter, params: {field: value, op: lt, value: 50000}, rank: 1}
  big: {kernel: filter, params: {field: value, op: ge, value: 50000}, rank: 2}
  doubler: {rank: 2}
  count: {kernel: sum, rank: 1}
edges:
  - {from: stdin, to: small}
  - {from: stdin, to: big}
  - {from: small, to: doubler}
  - {from: big, to: doubler}
  - {from: doubler, to: count}
  - {from: count, to: stdout}
Y
same 3 "$TMP/fan.yaml" "fan-out from stdin and fan-in across 3 ranks, counted"

cat >"$TMP/paths.yaml" <<'Y'
kernels:
  doubler: {rank: 1}
  id: {kernel: identity, rank: 2}
edges:
  - {from: stdin, to: doubler}
  - {from: doubler, to: id}
  - {from: doubler, to: stdout}
  - {from: id, to: stdout}
Y
"$RINGCTL" run "$TMP/paths.yaml" <"$TMP/in.jsonl" | sort >"$TMP/one"
if mpi 3 run "$TMP/paths.yaml" <"$TMP/in.jsonl" 2>"$TMP/err" | sort >"$TMP/many" \
   && [ "$(wc -l <"$TMP/many")" -eq 200000 ] && cmp -s "$TMP/one" "$TMP/many"; then
	ok "two paths from rank 1 to stdout: every message twice, none lost"
else
	not_ok "two paths from rank 1 to stdout: every message twice, none lost"
fi

if mpi 1 run "$TMP/line.yaml" <"$TMP/in.jsonl" >"$TMP/many" 2>"$TMP/err" \
   && "$RINGCTL" run "$TMP/line.yaml" <"$TMP/in.jsonl" | cmp -s - "$TMP/many"; then
	ok "one rank folds every kernel into the one process"
else
	not_ok "one rank folds every kernel into the one process"
fi

if mpi 3 run "$TMP/fan.yaml" </dev/null >"$TMP/many" 2>"$TMP/err" \
   && [ "$(cat "$TMP/many")" = '{"count":0,"sum":0}' ]; then
	ok "empty input ends every rank cleanly"
else
	not_ok "empty input ends every rank cleanly"
fi

want="ringctl: $TMP/line.yaml:3:32: kernel 'id' is placed on rank 2, but there are 2 ranks (0 to 1)"
status=0
mpi 2 validate "$TMP/line.yaml" >/dev/null 2>"$TMP/err" || status=$?
if [ "$status" -eq 78 ] && [ "$(grep -c "^ringctl: " "$TMP/err")" -eq 1 ] \
   && grep -qxF "$want" "$TMP/err"; then
	ok "validate under mpirun: a rank beyond the world is 78, said once, with file:line:column"
else
	not_ok "validate under mpirun: a rank beyond the world is 78, said once, with file:line:column"
fi
status=0
mpi 2 run "$TMP/line.yaml" <"$TMP/in.jsonl" >/dev/null 2>"$TMP/err" || status=$?
if [ "$status" -eq 78 ] && grep -qxF "$want" "$TMP/err"; then
	ok "run under mpirun: the same, before anything runs"
else
	not_ok "run under mpirun: the same, before anything runs"
fi

cat >"$TMP/crash.yaml" <<Y
kernels:
  s: {kernel: "$top_builddir/tests/plugins/.libs/faulty.so:segv", rank: 1}
pipeline: [s]
Y
status=0
printf '1\n"crash"\n3\n' | mpi 2 run "$TMP/crash.yaml" >/dev/null 2>"$TMP/err" || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && grep -q "rank 1" "$TMP/err"; then
	ok "a kernel that crashes on rank 1 ends every rank, naming the rank"
else
	not_ok "a kernel that crashes on rank 1 ends every rank, naming the rank (status $status)"
fi

# rank_of_job PID RANK: the pid of rank RANK of the job that mpirun,
# child of PID (timeout), started; waits up to 20 s for it.
rank_of_job() {
	for _ in $(seq 200); do
		for launcher in $(pgrep -P "$1"); do
			for child in $(pgrep -P "$launcher"); do
				if grep -qz "^OMPI_COMM_WORLD_RANK=$2\$" \
					"/proc/$child/environ" 2>/dev/null; then
					echo "$child"
					return
				fi
			done
		done
		sleep 0.1
	done
}

# Ctrl-C on mpirun: once lines flow through every rank, what was read
# still drains through the ranks and out (the second line, sent just
# before, may or may not have been read: either way nothing is cut).
mkfifo "$TMP/fifo"
timeout 120 "$MPIRUN" -n 3 "$RINGCTL" run "$TMP/line.yaml" <"$TMP/fifo" \
	>"$TMP/many" 2>"$TMP/err" &
pid=$!
exec 7>"$TMP/fifo"
echo '{"value":1}' >&7
for _ in $(seq 300); do [ -s "$TMP/many" ] && break; sleep 0.1; done
echo '{"value":2}' >&7
kill -INT "$pid"
status=0
wait "$pid" || status=$?
exec 7>&-
# mpirun itself may write a notice to the same stdout ("Abort is in
# progress...hit ctrl-c again"), and a blank line: the messages are the
# JSON lines.
grep '^{' "$TMP/many" >"$TMP/messages"
if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] \
   && { [ "$(cat "$TMP/messages")" = '{"result":2}' ] \
        || [ "$(cat "$TMP/messages")" = "$(printf '{"result":2}\n{"result":4}')" ]; }; then
	ok "Ctrl-C on mpirun drains what was sent through every rank"
else
	not_ok "Ctrl-C on mpirun drains what was sent through every rank (status $status)"
	sed 's/^/# out: /' "$TMP/many"
fi

# A rank killed outright: mpirun ends the others and names it, even
# with standard input still open.
mkfifo "$TMP/fifo2"
timeout 120 "$MPIRUN" -n 2 "$RINGCTL" run "$TMP/two.yaml" <"$TMP/fifo2" \
	>/dev/null 2>"$TMP/err" &
pid=$!
exec 7>"$TMP/fifo2"
echo '{"value":1}' >&7
victim=$(rank_of_job "$pid" 1)
sleep 0.5
[ -n "$victim" ] && kill -9 "$victim"
status=0
wait "$pid" || status=$?
exec 7>&-
if [ -n "$victim" ] && [ "$status" -ne 0 ] && [ "$status" -ne 124 ] \
   && grep -q "rank 1" "$TMP/err"; then
	ok "a rank killed with SIGKILL ends the job, named, without a hang"
else
	not_ok "a rank killed with SIGKILL ends the job, named, without a hang (status $status)"
fi

echo "1..$n"
exit "$failed"
