#!/usr/bin/env bats
# activate.bats - `ringctl activate`: from LAUNCHED to ACTIVE, and every illegal transition.

load common
setup() { server_setup; }
teardown() { server_teardown; }

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

@test "send and recv need ACTIVE or DEACTIVATED" {
	ringctl launch d -k doubler
	run --separate-stderr bash -c "values 1 | '$RINGCTL' send d"
	assert_failure 4
	[[ "$stderr" == "ringctl: cannot send to kernel 'd' in state 'LAUNCHED': activate it first"* ]]
}
