#!/usr/bin/env bats
# list.bats - `ringctl list`: the server's kernels.

load common
setup() { server_setup; }
teardown() { server_teardown; }

@test "list shows id, kernel, state, backend and queues, in 80 columns" {
	active doubler
	ringctl launch total -k sum
	ringctl deactivate doubler
	values 3 | ringctl send doubler
	run ringctl list
	assert_success
	assert_line --index 0 --regexp '^ID +KERNEL +STATE +BACKEND +IN +OUT$'
	assert_line --regexp '^doubler +doubler +DEACTIVATED +cpu +3/1000 +0/1000$'
	assert_line --regexp '^total +sum +LAUNCHED +cpu +0/1000 +0/1000$'
	while IFS= read -r line; do
		[ "${#line}" -le 80 ]
	done <<<"$output"
}

@test "list --json: one object per kernel" {
	active doubler
	run ringctl list --json
	assert_success
	assert_output '{"id":"doubler","kernel":"doubler","state":"ACTIVE","backend":"cpu","replicas":1,"feeds":[],"input_depth":0,"input_capacity":1000,"output_depth":0,"output_capacity":1000}'
}

@test "an empty server lists nothing; no server is 69" {
	ringctl launch x -k identity
	ringctl terminate x
	run ringctl list --json
	assert_output ''
	ringctl kill-server
	run --separate-stderr ringctl list
	assert_failure 69
	[ "$stderr" = "ringctl: no server running on $SOCK_DIR/default" ]
}

@test "list --format json is --json, as stats says it" {
	active doubler
	run ringctl list --json
	json=$output
	run ringctl list --format json
	assert_success
	[ "$output" = "$json" ]
	run ringctl list --format table
	assert_line --index 0 --regexp '^ID +KERNEL +STATE'
	run --separate-stderr ringctl list --format yaml
	assert_failure 2
}

@test "list shows which kernel feeds which" {
	printf 'kernels:\n  a: {kernel: doubler}\n  b: {kernel: identity}\n  c: {kernel: identity}\nedges:\n  - {from: stdin, to: a}\n  - {from: a, to: b}\n  - {from: a, to: c}\n  - {from: b, to: stdout}\n  - {from: c, to: stdout}\n' >"$BATS_TEST_TMPDIR/t.yaml"
	ringctl launch -f "$BATS_TEST_TMPDIR/t.yaml"
	run ringctl list
	assert_success
	assert_line 'a -> b'
	assert_line 'a -> c'
	run ringctl list --json
	assert_line --regexp '^\{"id":"a",.*"feeds":\["b","c"\],'
	assert_line --regexp '^\{"id":"b",.*"feeds":\[\],'
}
