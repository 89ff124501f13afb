#!/usr/bin/env bats
# completions.bats - the bash, zsh and fish completions know every
# command and option that `ringctl --help` and `ringctl help COMMAND`
# list, and nothing else; the bash one completes as it should.

load common

commands() {
	"$RINGCTL" --help | sed -n '/^Commands/,/^$/p' | awk 'NR > 1 && NF { print $1 }'
}

options() {
	"$RINGCTL" help "$1" | grep -o -- '--[a-z][a-z-]*' | sort -u
}

@test "every command of --help is in every completion, and no other" {
	for c in $(commands); do
		grep -qw -- "$c" "$top_srcdir/completions/bash/ringctl" || { echo "bash lacks $c"; return 1; }
		grep -q -- "'$c:" "$top_srcdir/completions/zsh/_ringctl" || { echo "zsh lacks $c"; return 1; }
		grep -qw -- "$c" "$top_srcdir/completions/fish/ringctl.fish" || { echo "fish lacks $c"; return 1; }
	done
	bash_cmds=$(sed -n '/^_ringctl_commands="/,/"$/p' "$top_srcdir/completions/bash/ringctl" | tr -d '"' | sed 's/_ringctl_commands=//' | tr ' ' '\n' | grep . | sort)
	[ "$bash_cmds" = "$(commands | sort)" ]
}

@test "every option a command's help names is in its completions" {
	source "$top_srcdir/completions/bash/ringctl"
	for c in $(commands); do
		for o in $(options "$c"); do
			_ringctl_options "$c" | grep -qw -- "$o" || { echo "bash: $c $o"; return 1; }
			grep -q -- "$o" "$top_srcdir/completions/zsh/_ringctl" || { echo "zsh: $c $o"; return 1; }
			grep -q -- "-l ${o#--}" "$top_srcdir/completions/fish/ringctl.fish" || { echo "fish: $c $o"; return 1; }
		done
	done
}

complete_words() {
	source "$top_srcdir/completions/bash/ringctl"
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	_ringctl
	printf '%s\n' "${COMPREPLY[@]}"
}

@test "bash completes commands, options and values" {
	run complete_words ringctl ter
	assert_output terminate
	run complete_words ringctl -v st
	assert_output 'state
stats'
	run complete_words ringctl recv --fo
	assert_output --partial -- '--follow'
	run complete_words ringctl stats --format j
	assert_output json
	run complete_words ringctl run --on-error s
	assert_output skip
}

@test "bash completes kernel ids from the server, and kernels from plugins" {
	server_setup
	"$RINGCTL" launch doubler
	"$RINGCTL" launch total -k sum
	COMP_WORDS=("$RINGCTL" activate "")
	source "$top_srcdir/completions/bash/ringctl"
	COMP_CWORD=2
	_ringctl
	server_teardown
	[ "$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')" = "doubler total " ]
	run complete_words "$RINGCTL" describe sa
	assert_output saxpy
}

@test "bash completes option values after = and the pipeline of run" {
	run complete_words "$RINGCTL" stats --format = ""
	assert_output $'table\njson\nprometheus'
	run complete_words "$RINGCTL" run --on-error = s
	assert_output skip
	run complete_words "$RINGCTL" list --format = j
	assert_output json
	run complete_words "$RINGCTL" run --unknown-fields i
	assert_output ignore
	# The pipeline: kernels on the plugin path (and files).
	run complete_words "$RINGCTL" run dou
	assert_output doubler
	cd "$BATS_TEST_TMPDIR" && touch double.yaml
	run complete_words "$RINGCTL" run doub
	assert_output $'doubler\ndouble.yaml'
}

@test "bash completes -L with the names of the running servers" {
	server_setup
	"$RINGCTL" -L alpha launch doubler
	"$RINGCTL" -L beta launch doubler
	run complete_words "$RINGCTL" -L ""
	server_teardown
	assert_output $'alpha\nbeta'
}

@test "the shell completes option values and kernels, typed at a terminal" {
	command -v script >/dev/null || skip "no script(1) for a terminal"
	server_setup
	"$RINGCTL" launch d -k doubler
	# stats --format pr<TAB> is prometheus; launch x -k dou<TAB> doubler.
	run bash -c "printf 'stats --format pr\t\nlaunch x -k dou\t\nstate x\nquit\n' | script -qc \"'$RINGCTL' shell\" /dev/null"
	server_teardown
	[[ "$output" == *"# TYPE ringctl_messages_processed_total counter"* ]]
	[[ "$output" == *"LAUNCHED"* ]]
}
