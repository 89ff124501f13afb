#!/usr/bin/env bats
# reactivate.bats - `ringctl reactivate`: resume; what queued comes first, in order.

load common
setup() { server_setup; }
teardown() { server_teardown; }

@test "reactivate resumes, in order, only from DEACTIVATED" {
	active doubler
	run --separate-stderr ringctl reactivate doubler
	assert_failure 4
	[ "$stderr" = "ringctl: cannot reactivate kernel 'doubler' from state 'ACTIVE'" ]
	ringctl deactivate doubler
	values 3 | ringctl send doubler
	run ringctl reactivate doubler
	assert_success
	run ringctl recv doubler -n 3 --timeout 5
	assert_output '{"result":2}
{"result":4}
{"result":6}'
}
