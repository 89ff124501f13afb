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

@test "the shell on a terminal keeps its history, in a file of our own" {
	command -v script >/dev/null || skip "no script(1) for a terminal"
	export XDG_STATE_HOME=$BATS_TEST_TMPDIR/state
	# The history file does not exist yet: the first shell makes it.
	printf 'help state\nquit\n' | script -qc "'$RINGCTL' shell" /dev/null >/dev/null
	history=$XDG_STATE_HOME/ringctl/history
	[ -f "$history" ]
	[ "$(stat -c %a "$history")" = 600 ]
	grep -qx 'help state' "$history"
	grep -qx 'quit' "$history"
	printf 'kernels\nquit\n' | script -qc "'$RINGCTL' shell" /dev/null >/dev/null
	[ "$(grep -c . "$history")" -eq 4 ]
	[ "$(sed -n 3p "$history")" = kernels ]
}
