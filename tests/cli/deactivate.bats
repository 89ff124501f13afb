#!/usr/bin/env bats
# deactivate.bats - `ringctl deactivate`: pause; messages queue.

load common
setup() { server_setup; }
teardown() { server_teardown; }

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

@test "deactivate only from ACTIVE; the queue still takes messages" {
	ringctl launch d -k doubler
	run --separate-stderr ringctl deactivate d
	assert_failure 4
	[ "$stderr" = "ringctl: cannot deactivate kernel 'd' from state 'LAUNCHED'" ]
	ringctl activate d
	ringctl deactivate d
	run bash -c "values 5 | '$RINGCTL' send d"
	assert_success
	run ringctl list --json
	assert_output --partial '"input_depth":5'
}
