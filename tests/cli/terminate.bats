#!/usr/bin/env bats
# terminate.bats - `ringctl terminate`: drain, stop, free the id, and
# say what was left.

load common
setup() { server_setup; }
teardown() { server_teardown; }

@test "terminate frees the id: asking for it is not found (3)" {
	active doubler
	run --separate-stderr ringctl terminate doubler
	assert_success
	[ -z "$stderr" ]
	run --separate-stderr ringctl state doubler
	assert_failure 3
	run ringctl launch doubler
	assert_success
}

@test "terminate drains an active kernel" {
	active slow -k sum
	values 1000 | ringctl send slow
	run --separate-stderr ringctl terminate slow --timeout 5
	assert_success
	[[ "$stderr" != *dropped* ]]
}

@test "what a terminate leaves is reported, never silently lost" {
	active d -k doubler
	ringctl deactivate d
	values 7 | ringctl send d
	run --separate-stderr ringctl terminate d
	assert_success
	[ "$stderr" = "ringctl: warning: d: 7 queued messages dropped" ]
	active e -k doubler
	values 3 | ringctl send e
	sleep 0.2
	run --separate-stderr ringctl terminate e
	assert_success
	[ "$stderr" = "ringctl: warning: e: 3 replies never received" ]
}

@test "terminate --all, and the usage errors" {
	ringctl launch a -k doubler
	ringctl launch b -k identity
	run ringctl terminate --all
	assert_success
	run ringctl list --json
	assert_output ''
	run --separate-stderr ringctl terminate
	assert_failure 2
	run --separate-stderr ringctl terminate a --all
	assert_failure 2
	run --separate-stderr ringctl terminate ghost
	assert_failure 3
	run --separate-stderr ringctl terminate a --timeout soon
	assert_failure 2
}

@test "a kernel that keeps failing is still terminated cleanly" {
	active f -k filter -p field=x -p value=1
	values 3 | ringctl send f
	run ringctl terminate f
	assert_success
}
