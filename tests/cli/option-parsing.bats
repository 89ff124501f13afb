#!/usr/bin/env bats
# option-parsing.bats - how a command's options are read (src/options.c):
# getopt_long's conventions, its messages, and parses side by side in
# the server's threads.

load common
setup() { server_setup; }
teardown() { server_teardown; }

@test "--name=ARG, --name ARG and a unique prefix are one option" {
	for form in '--on-error=maybe' '--on-error maybe' '--on-e maybe' '--on-e=maybe'; do
		run --separate-stderr ringctl run doubler $form
		assert_failure 2
		[[ "$stderr" == "ringctl: --on-error is fail or skip, not 'maybe'"* ]]
	done
}

@test "options and operands mix, unless POSIXLY_CORRECT" {
	run ringctl run doubler --envelope <<< '{"value":2}'
	assert_success
	assert_output --partial '"message":{"result":4}'
	run ringctl run --envelope doubler <<< '{"value":2}'
	assert_output --partial '"message":{"result":4}'
	# POSIXLY_CORRECT: an operand ends the options, so --envelope is a
	# file to read.
	run --separate-stderr env POSIXLY_CORRECT=1 "$RINGCTL" run doubler --envelope <<< '{"value":2}'
	assert_failure 1
	[[ "$stderr" == "ringctl: --envelope: No such file or directory"* ]]
}

@test "-- ends the options" {
	run --separate-stderr ringctl run -- --envelope
	assert_failure
	[[ "$stderr" != *"unknown option"* ]]
	run ringctl help -- run
	assert_success
	assert_line --index 0 --partial 'Usage: ringctl run'
}

@test "an unknown, ambiguous or argument-less option is an unknown option (2)" {
	run --separate-stderr ringctl run doubler --bogus=1
	assert_failure 2
	[[ "$stderr" == "ringctl: run: unknown option '--bogus=1'"* ]]
	run --separate-stderr ringctl run doubler --p
	[[ "$stderr" == "ringctl: run: unknown option '--p'"* ]]
	run --separate-stderr ringctl run doubler --max-line
	[[ "$stderr" == "ringctl: run: unknown option '--max-line'"* ]]
	run --separate-stderr ringctl run doubler --stats=1
	[[ "$stderr" == "ringctl: run: unknown option '--stats=1'"* ]]
	run --separate-stderr ringctl run doubler -x
	[[ "$stderr" == "ringctl: run: unknown option '-x'"* ]]
}

@test "counts are checked as parse_count does" {
	for bad in 0 -1 5x '' 16777217; do
		run --separate-stderr ringctl run doubler --queue-size="$bad"
		assert_failure 2
		[[ "$stderr" == "ringctl: --queue-size wants a number of messages, not '$bad'"* ]]
	done
}

@test "a command that runs here answers -h, --help and a prefix of it" {
	for h in -h --help --he; do
		run --separate-stderr ringctl run $h x
		assert_success
		assert_line --index 0 --partial 'Usage: ringctl run'
	done
}

@test "short options bundle, with an argument in the word or the next" {
	ringctl launch k -kdoubler
	ringctl launch k2 -k doubler
	run ringctl terminate -at0
	assert_success
	run ringctl list --json
	assert_output ""
}

@test "commands parse their options side by side in the server" {
	ringctl launch k -k doubler
	for i in $(seq 1 20); do
		"$RINGCTL" stats --format=json k > "$RK_DIR/s$i" &
		"$RINGCTL" list --format table > "$RK_DIR/l$i" &
	done
	wait
	for i in $(seq 1 20); do
		grep -q '^{"id":"k"' "$RK_DIR/s$i"
		grep -q '^ID ' "$RK_DIR/l$i"
	done
}

@test "global options are read by the same parser and end at COMMAND" {
	# ringctl's own options come from a template too (src/ringctl.c):
	# --name=ARG, a prefix, bundled flags; the first operand is the
	# command, and what follows it is the command's.
	run --separate-stderr "$RINGCTL" --plugin=/nonexistent --plugin-path "$RINGCTL_PLUGIN_PATH" -qv kernels
	assert_success
	assert_output --partial doubler
	run --separate-stderr "$RINGCTL" --vers
	assert_success
	assert_line --index 0 --regexp '^ringctl [0-9]'
	run --separate-stderr "$RINGCTL" --ver      # --verbose or --version
	assert_failure 2
	[[ "$stderr" == "ringctl: unknown option '--ver'"* ]]
	run --separate-stderr "$RINGCTL" --socket
	assert_failure 2
	[[ "$stderr" == "ringctl: option '--socket' needs an argument"* ]]
	run --separate-stderr "$RINGCTL" run --version doubler
	assert_failure 2
	[[ "$stderr" == "ringctl: run: unknown option '--version'"* ]]
	run --separate-stderr "$RINGCTL" -- help
	assert_success
	run --separate-stderr "$RINGCTL" --help --bogus
	assert_success
	assert_line --index 0 --partial 'Usage: ringctl'
}
