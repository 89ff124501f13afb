#!/usr/bin/env bats
# lifecycle.bats - activate, deactivate, reactivate and state: every
# legal and illegal transition, with its exit status and message.

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

@test "illegal transitions exit 4 with the reference's message" {
	ringctl launch d -k doubler
	run --separate-stderr ringctl deactivate d
	assert_failure 4
	[ "$stderr" = "ringctl: cannot deactivate kernel 'd' from state 'LAUNCHED'" ]
	run --separate-stderr ringctl reactivate d
	assert_failure 4
	ringctl activate d
	run --separate-stderr ringctl activate d
	assert_failure 4
	[ "$stderr" = "ringctl: cannot activate kernel 'd' from state 'ACTIVE'" ]
	run --separate-stderr ringctl reactivate d
	assert_failure 4
	ringctl deactivate d
	run --separate-stderr ringctl deactivate d
	assert_failure 4
	run --separate-stderr ringctl activate d
	assert_failure 4
	[ "$stderr" = "ringctl: cannot activate kernel 'd' from state 'DEACTIVATED'" ]
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

@test "several ids at once; the first failure gives the status" {
	ringctl launch a -k doubler
	ringctl launch b -k doubler
	run --separate-stderr ringctl activate a ghost b
	assert_failure 3
	run ringctl state a
	assert_output ACTIVE
	run ringctl state b
	assert_output ACTIVE
}

@test "pause and resume: what queues while deactivated comes out, in order" {
	active doubler
	ringctl deactivate doubler
	values 100 | ringctl send doubler
	run --separate-stderr ringctl recv doubler --timeout 0.2
	assert_failure 6
	ringctl reactivate doubler
	run ringctl recv doubler -n 100 --timeout 5
	assert_success
	[ "$(printf '%s\n' "$output" | head -1)" = '{"result":2}' ]
	[ "$(printf '%s\n' "$output" | tail -1)" = '{"result":200}' ]
	[ "$(printf '%s\n' "$output" | awk -F'[:}]' '$2 != 2 * NR' | wc -l)" -eq 0 ]
}

@test "send and recv need ACTIVE or DEACTIVATED" {
	ringctl launch d -k doubler
	run --separate-stderr bash -c "values 1 | '$RINGCTL' send d"
	assert_failure 4
	[[ "$stderr" == "ringctl: cannot send to kernel 'd' in state 'LAUNCHED'"* ]]
}
