#!/usr/bin/env bats
# plugin-trust.bats - another user's code never runs as us.  The
# attacks of a second local user (a throw-away one, made and removed
# here) on the files ringctl loads code from: a directory of theirs
# above ours, swapped with one of their own while we look; their files
# and links in a sticky directory; the CUDA backend and MPI transport
# modules.  The bait is tests/plugins/marker.so, whose constructor
# leaves a mark in $RK_TEST_MARKER: no mark, no code run.

load common
setup() {
	server_setup
	MARKER_SO=$TEST_PLUGINS/marker.so
	export RK_TEST_MARKER=$BATS_TEST_TMPDIR/mark
	RK_OPEN_DIR=
}
teardown() {
	server_teardown
	drop_throwaway_user
	[ -z "$RK_OPEN_DIR" ] || rm -rf "$RK_OPEN_DIR"
}

# A directory in /tmp that the throw-away user owns (mode 0755).
their_dir() {
	throwaway_user || skip "$RK_USER_WHY"
	RK_OPEN_DIR=$(mktemp -d /tmp/rkattack.XXXXXX)
	chown "$RK_USER" "$RK_OPEN_DIR"
	chmod 755 "$RK_OPEN_DIR"
}

# Our plugin directory below it: root's (ours), mode 0755, file 0644.
our_plugins_below() {
	mkdir "$RK_OPEN_DIR/plug"
	chmod 755 "$RK_OPEN_DIR/plug"
	cp "$MARKER_SO" "$RK_OPEN_DIR/plug/marker.so"
	chmod 644 "$RK_OPEN_DIR/plug/marker.so"
}

@test "a directory of another user above the plugin's: refused, nothing run" {
	their_dir
	our_plugins_below
	run --separate-stderr ringctl --plugin-path="$RK_OPEN_DIR/plug" kernels
	[[ "$stderr" == *"$RK_OPEN_DIR/plug/marker.so: refused: $RK_OPEN_DIR belongs to uid $RK_USER_UID, not to you or root"* ]]
	[[ "$output" != *marked* ]]
	run --separate-stderr bash -c "echo 1 | '$RINGCTL' run '$RK_OPEN_DIR/plug/marker.so'"
	assert_failure 1
	[[ "$stderr" == *"refused: $RK_OPEN_DIR belongs to uid $RK_USER_UID"* ]]
	[ ! -e "$RK_TEST_MARKER" ]
	# The server, which runs the code for every client, refuses too.
	run --separate-stderr ringctl launch m -k "$RK_OPEN_DIR/plug/marker.so"
	assert_failure
	[ ! -e "$RK_TEST_MARKER" ]
}

@test "the ancestor swap race: their directory for ours, in a loop, never runs their code" {
	[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
	their_dir
	our_plugins_below
	# Their own plugin directory, swapped with ours by renameat2
	# (RENAME_EXCHANGE) as fast as they can.
	mkdir "$RK_OPEN_DIR/evil"
	cp "$MARKER_SO" "$RK_OPEN_DIR/evil/marker.so"
	chown -R "$RK_USER" "$RK_OPEN_DIR/evil"
	chmod 755 "$RK_OPEN_DIR/evil"
	as_user /usr/bin/python3 -c '
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
a, b = sys.argv[1].encode(), sys.argv[2].encode()
end = time.time() + float(sys.argv[3])
n = 0
while time.time() < end:
    if libc.renameat2(-100, a, -100, b, 2) == 0:
        n += 1
open(sys.argv[4], "w").write(str(n))
' "$RK_OPEN_DIR/plug" "$RK_OPEN_DIR/evil" 4 "$RK_OPEN_DIR/swaps" &
	local runs=0 end=$((SECONDS + 4))
	while [ $SECONDS -lt $end ]; do
		"$RINGCTL" --plugin-path="$RK_OPEN_DIR/plug" kernels >/dev/null 2>&1 || true
		runs=$((runs + 1))
	done
	wait
	echo "# $runs runs against $(cat "$RK_OPEN_DIR/swaps") swaps" >&3
	[ "$(cat "$RK_OPEN_DIR/swaps")" -gt 0 ] || skip "the swaps failed: no race was run"
	[ ! -e "$RK_TEST_MARKER" ]
}

@test "their file, or their link, in a sticky directory: refused" {
	their_dir
	chown root "$RK_OPEN_DIR"
	chmod 1777 "$RK_OPEN_DIR"
	# Their plugin: refused by owner.
	cp "$MARKER_SO" "$RK_OPEN_DIR/theirs.so"
	chown "$RK_USER" "$RK_OPEN_DIR/theirs.so"
	chmod 644 "$RK_OPEN_DIR/theirs.so"
	run --separate-stderr bash -c "echo 1 | '$RINGCTL' run '$RK_OPEN_DIR/theirs.so'"
	assert_failure 1
	[[ "$stderr" == *"$RK_OPEN_DIR/theirs.so: refused: $RK_OPEN_DIR/theirs.so belongs to uid $RK_USER_UID"* ]]
	# Their link to our own plugin: they could point it elsewhere.
	cp "$MARKER_SO" "$RK_OPEN_DIR/ours.so"
	chmod 644 "$RK_OPEN_DIR/ours.so"
	as_user ln -s "$RK_OPEN_DIR/ours.so" "$RK_OPEN_DIR/link.so"
	run --separate-stderr bash -c "echo 1 | '$RINGCTL' run '$RK_OPEN_DIR/link.so'"
	assert_failure 1
	[[ "$stderr" == *"refused: $RK_OPEN_DIR/link.so belongs to uid $RK_USER_UID"* ]]
	[ ! -e "$RK_TEST_MARKER" ]
	# Our own link, and our own file, in the same sticky directory: run.
	ln -s ours.so "$RK_OPEN_DIR/our-link.so"
	run bash -c "echo 1 | '$RINGCTL' run '$RK_OPEN_DIR/our-link.so'"
	assert_success
	assert_output 1
	[ -e "$RK_TEST_MARKER" ]
}

@test "a plugin path through a directory others can write (not sticky): refused" {
	dir=$BATS_TEST_TMPDIR/open
	mkdir -p "$dir/plug"
	cp "$MARKER_SO" "$dir/plug/marker.so"
	chmod 644 "$dir/plug/marker.so"
	chmod 755 "$dir/plug"
	chmod 777 "$dir"
	run --separate-stderr bash -c "echo 1 | '$RINGCTL' run '$dir/plug/marker.so'"
	assert_failure 1
	[ "$stderr" = "ringctl: $dir/plug/marker.so: refused: $dir is writable by others and not sticky (mode 0777)" ]
	[ ! -e "$RK_TEST_MARKER" ]
	chmod 755 "$dir"
}

@test "the CUDA backend module is trusted as a plugin is, or not loaded" {
	dir=$BATS_TEST_TMPDIR/backend
	mkdir -p "$dir"
	chmod 755 "$dir"
	cp "$MARKER_SO" "$dir/rk-cuda.so"
	chmod 666 "$dir/rk-cuda.so"
	unset RK_CUDA_EMULATE
	export RK_CUDA_MODULE=$dir/rk-cuda.so
	printf 'backend: cuda\nkernels:\n  doubler: {}\npipeline: [doubler]\n' >"$dir/cuda.yaml"
	run --separate-stderr ringctl run "$dir/cuda.yaml" < <(values 1)
	assert_failure 1
	[[ "$stderr" == *"$dir/rk-cuda.so: refused: $dir/rk-cuda.so is writable by others (mode 0666)"* ]]
	[ ! -e "$RK_TEST_MARKER" ]
}

@test "the MPI transport module is trusted as a plugin is, or not loaded" {
	dir=$BATS_TEST_TMPDIR/mpi
	mkdir -p "$dir"
	chmod 755 "$dir"
	cp "$MARKER_SO" "$dir/ringctl-mpi.so"
	chmod 666 "$dir/ringctl-mpi.so"
	printf 'kernels:\n  doubler: {rank: 1}\npipeline: [doubler]\n' >"$dir/two.yaml"
	# As mpirun would start rank 0 of 2.
	run --separate-stderr env OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_RANK=0 \
		RINGCTL_MPI_MODULE="$dir/ringctl-mpi.so" "$RINGCTL" run "$dir/two.yaml" < <(values 1)
	assert_failure
	[[ "$stderr" == *"$dir/ringctl-mpi.so: refused: $dir/ringctl-mpi.so is writable by others (mode 0666)"* ]]
	[ ! -e "$RK_TEST_MARKER" ]
}

@test "a plugin loaded before the server forks is loaded again in it" {
	# The shell loads the plugin itself (kernels), then starts the
	# server by forking; the server closes every inherited descriptor,
	# the one the plugin was loaded through too.
	run --separate-stderr bash -c "printf 'kernels\nlaunch d1 -k %s/doubler.so\n' '$KERNELS' | '$RINGCTL' shell"
	assert_success
	[ -z "$stderr" ]
	run ringctl state d1
	assert_output LAUNCHED
}

@test "a directory we may not search is named as the one that denies it" {
	their_dir
	chown root "$RK_OPEN_DIR"
	mkdir -p "$RK_OPEN_DIR/locked/sub"
	chmod 700 "$RK_OPEN_DIR/locked"
	cp "$MARKER_SO" "$RK_OPEN_DIR/locked/sub/p.so"
	other_uid_ringctl "$RK_USER_UID" || skip "$RK_OTHER_WHY"
	run --separate-stderr as_user "$RK_OTHER_DIR/ringctl" run "$RK_OPEN_DIR/locked/sub/p.so" <<<1
	assert_failure 1
	[[ "$stderr" == *"$RK_OPEN_DIR/locked/sub/p.so: $RK_OPEN_DIR/locked: Permission denied"* ]]
	rm -rf "$RK_OTHER_DIR"
}
