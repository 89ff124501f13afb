#!/usr/bin/env bats
# state.bats - `ringctl state`: the state of a kernel, by name.

load common
setup() { server_setup; }
teardown() { server_teardown; }

@test "activate, deactivate, reactivate, and state says so" {
	ringctl launch doubler
	run ringctl activate doubler
	assert_success
	assert_output ''
	run ringctl state doubler
	assert_output ACTIVE
	ringctl deactivate doubler
	run ringctl state doubler
	assert_output DEACTIVATED
	ringctl reactivate doubler
	run ringctl state doubler
	assert_output ACTIVE
}

@test "unknown ids are not found (3), and state needs one id" {
	ringctl launch d -k doubler
	for cmd in activate deactivate reactivate state; do
		run --separate-stderr ringctl "$cmd" ghost
		assert_failure 3
		[ "$stderr" = "ringctl: kernel 'ghost' not found" ]
	done
	run --separate-stderr ringctl state
	assert_failure 2
	run --separate-stderr ringctl state a b
	assert_failure 2
}
