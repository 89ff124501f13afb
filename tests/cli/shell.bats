#!/usr/bin/env bats
# shell.bats - `ringctl shell`: the same commands, one per line.

load common
setup() { server_setup; }
teardown() { server_teardown; }

@test "the shell runs commands from its input" {
	run bash -c "printf 'launch doubler\nactivate doubler\nstate doubler\nlist --json\nquit\nstate doubler\n' | '$RINGCTL' shell"
	assert_success
	assert_line --index 0 ACTIVE
	assert_line --index 1 --partial '"id":"doubler"'
	[ "${#lines[@]}" -eq 2 ]
}

@test "quotes and escapes split like a shell" {
	run bash -c "printf 'run \"doubler | identity\" --max-line 100\n' | '$RINGCTL' shell </dev/stdin"
	# run reads the rest of the shell's input: nothing left, empty output
	assert_success
}

@test "errors in the shell are reported and the shell goes on" {
	run --separate-stderr bash -c "printf 'state ghost\nfrobnicate\nlaunch d -k doubler\nstate d\n' | '$RINGCTL' shell"
	assert_success
	assert_output LAUNCHED
	[[ "$stderr" == *"ringctl: no server running"* || "$stderr" == *"kernel 'ghost' not found"* ]]
	[[ "$stderr" == *"unknown command 'frobnicate'"* ]]
}

@test "an unclosed quote is a usage error" {
	run --separate-stderr bash -c "printf 'state \"x\n' | '$RINGCTL' shell"
	assert_failure 2
	[[ "$stderr" == "ringctl: unclosed quote"* ]]
}
