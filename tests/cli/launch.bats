#!/usr/bin/env bats
# launch.bats - `ringctl launch`: phase 1 in the server, which starts
# when none runs.

load common
setup() { server_setup; }
teardown() { server_teardown; }

@test "launch starts a detached server and launches the kernel" {
	run --separate-stderr ringctl launch doubler
	assert_success
	[ -z "$output" ] && [ -z "$stderr" ]
	[ -S "$SOCK_DIR/default" ]
	[ -f "$SOCK_DIR/default.pid" ]
	kill -0 "$(cat "$SOCK_DIR/default.pid")"
	[ -f "$SOCK_DIR/default.log" ]
	run ringctl state doubler
	assert_output LAUNCHED
}

@test "the socket directory is 0700 and the socket 0600-ish, ours" {
	ringctl launch doubler
	[ "$(stat -c %a "$SOCK_DIR")" = 700 ]
	[ "$(stat -c %u "$SOCK_DIR")" = "$(id -u)" ]
	[ "$(stat -c %a "$SOCK_DIR/default")" = 700 ] || [ "$(stat -c %a "$SOCK_DIR/default")" = 600 ]
}

@test "launching an id that exists is a state error (4)" {
	ringctl launch doubler
	run --separate-stderr ringctl launch doubler
	assert_failure 4
	[ "$stderr" = "ringctl: kernel 'doubler' already exists (LAUNCHED): terminate it first, or launch under another id" ]
}

@test "an unknown kernel is not found (3)" {
	run --separate-stderr ringctl launch x --kernel nosuch
	assert_failure 3
	[ "$stderr" = "ringctl: kernel 'nosuch' not found" ]
}

@test "--kernel, --param, --queue-size, --replicas" {
	run ringctl launch total --kernel sum --param every=2 --queue-size 16
	assert_success
	run ringctl launch d4 -k doubler --replicas 4
	assert_success
	run ringctl list --json
	assert_line --regexp '"id":"d4","kernel":"doubler",.*"replicas":4'
	assert_line --regexp '"id":"total","kernel":"sum",.*"input_capacity":16,'
}

@test "bad options and parameters are usage errors (2)" {
	ringctl launch doubler
	run --separate-stderr ringctl launch x -k sum --param nope=1
	assert_failure 2
	[ "$stderr" = "ringctl: kernel 'sum' has no parameter 'nope'" ]
	run --separate-stderr ringctl launch x --queue-size many
	assert_failure 2
	run --separate-stderr ringctl launch
	assert_failure 2
}

@test "an id or kernel with a control character is a usage error (2), shown escaped" {
	run --separate-stderr ringctl launch $'a\tb' -k doubler
	assert_failure 2
	[ "$stderr" = "ringctl: kernel id 'a\\tb' holds a control character" ]
	run --separate-stderr ringctl launch x -k $'doubler\e[2J'
	assert_failure 2
	[ "$stderr" = "ringctl: kernel 'doubler\\x1b[2J' holds a control character" ]
	run --separate-stderr ringctl state $'d\e]0;owned\a'
	assert_failure 2
	[ "$stderr" = "ringctl: kernel id 'd\\x1b]0;owned\\x07' holds a control character" ]
	run ringctl list --json
	assert_output ""
}

@test "a plugin file is named from the client's directory" {
	cd "$top_builddir/kernels/.libs"
	run ringctl launch d -k ./doubler.so
	assert_success
	cd /
	run ringctl state d
	assert_output LAUNCHED
}

@test "a plugin that cannot be loaded: exit 1, naming it" {
	echo junk >"$BATS_TEST_TMPDIR/bad.so"
	run --separate-stderr ringctl launch x -k "$BATS_TEST_TMPDIR/bad.so"
	assert_failure 1
	[[ "$stderr" == "ringctl: $BATS_TEST_TMPDIR/bad.so: "* ]]
}

@test "launch -f wires a topology; its keys are the ids" {
	run ringctl launch -f "$top_srcdir/examples/topologies/double-then-sum.yaml"
	assert_success
	run ringctl list
	assert_line --regexp '^doubler +doubler x2 +LAUNCHED'
	assert_line --regexp '^total +sum +LAUNCHED'
	ringctl activate total doubler
	values 4 | ringctl send doubler --end
	run ringctl recv total --timeout 5
	assert_output '{"count":4,"sum":20}'
}

@test "launch -f of a bad topology: 78 with file:line:column" {
	printf 'kernels:\n  a: {kernel: nosuch}\npipeline: [a]\n' >"$BATS_TEST_TMPDIR/t.yaml"
	run --separate-stderr ringctl launch -f "$BATS_TEST_TMPDIR/t.yaml"
	assert_failure 78
	[ "$stderr" = "ringctl: $BATS_TEST_TMPDIR/t.yaml:2:15: kernel 'nosuch' not found" ]
}

@test "two racing launches start one server" {
	for i in 1 2 3 4; do
		"$RINGCTL" launch "k$i" -k identity 3>&- &
	done
	wait
	run ringctl list --json
	assert_success
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 4 ]
	[ "$(grep -c "listening on" "$SOCK_DIR/default.log")" -eq 1 ]
	[ "$(ls "$SOCK_DIR"/*.pid | wc -l)" -eq 1 ]
}

@test "a relative --plugin-path is the client's" {
	cd "$top_builddir"
	run env RINGCTL_PLUGIN_PATH= "$RINGCTL" --plugin-path kernels/.libs launch d -k doubler
	assert_success
}

@test "launch FILE.yaml without -f: says to use -f, a usage error (2)" {
	run --separate-stderr ringctl launch "$top_srcdir/examples/topologies/double-then-sum.yaml"
	assert_failure 2
	[[ $stderr == *"looks like a topology file: launch -f "*"double-then-sum.yaml"* ]]
}

@test "a kernel name one slip away is suggested; the server log names what was done" {
	run --separate-stderr ringctl launch x --kernel filtr
	assert_failure 3
	[ "$stderr" = "ringctl: kernel 'filtr' not found; did you mean 'filter'?" ]
	run --separate-stderr ringctl run 'doubler | idnetity' <<<'{"value":1}'
	assert_failure 3
	[[ "$stderr" == *"kernel 'idnetity' not found; did you mean 'identity'?"* ]]
	run --separate-stderr ringctl launch x --kernel zzz
	[ "$stderr" = "ringctl: kernel 'zzz' not found" ]
	ringctl launch d --kernel doubler
	grep -q "info: launch d --kernel doubler$" "$SOCK_DIR/default.log"
}

@test "a LAUNCHED kernel says to activate it; recv from one that feeds another is a state (4)" {
	ringctl launch d --kernel doubler
	run --separate-stderr bash -c "echo '{\"value\":1}' | '$RINGCTL' send d"
	assert_failure 4
	[[ "$stderr" == *"in state 'LAUNCHED': activate it first"* ]]
	printf 'kernels:\n  a: {kernel: doubler}\n  b: {kernel: identity}\npipeline: [a, b]\n' >"$BATS_TEST_TMPDIR/t.yaml"
	ringctl launch -f "$BATS_TEST_TMPDIR/t.yaml"
	ringctl activate a
	run --separate-stderr ringctl recv a --timeout 0.1
	assert_failure 4
	[[ "$stderr" == *"kernel 'a' sends its output to other kernels: receive from the last of them"* ]]
}

@test "link builds a pipeline in the server, kernel by kernel" {
	ringctl launch d -k doubler
	ringctl launch t -k sum
	ringctl link d t
	ringctl activate d
	ringctl activate t
	values 4 | ringctl send --end d
	run ringctl recv t --timeout 5
	assert_output '{"count":4,"sum":20}'
	run --separate-stderr ringctl recv d --timeout 0.1
	assert_failure 4
	# Only launched kernels; types that fit; no kernel twice.
	ringctl launch e -k doubler
	run --separate-stderr ringctl link d e
	assert_failure 4
	ringctl launch f -k doubler
	run --separate-stderr ringctl link e f
	assert_failure 65
	[[ "$stderr" == *"kernel 'e' emits doubler_out messages but 'f' takes doubler_in"* ]]
	run --separate-stderr ringctl link e ghost
	assert_failure 3
	run --separate-stderr ringctl link e
	assert_failure 2
	# unlink undoes a link of launched kernels, and only that.
	ringctl launch g -k identity
	ringctl launch h -k identity
	ringctl launch i -k identity
	ringctl link g h
	ringctl link g i
	ringctl unlink g h
	run --separate-stderr ringctl unlink g h
	assert_failure 2
	[[ "$stderr" == *"kernel 'g' does not feed 'h'"* ]]
	run ringctl list
	assert_line 'g -> i'
	refute_line 'g -> h'
	run --separate-stderr ringctl unlink d t
	assert_failure 4
}
