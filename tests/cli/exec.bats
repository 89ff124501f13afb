#!/usr/bin/env bats
# exec.bats - the exec kernel: any command that speaks JSON lines, as a
# co-process, and every way such a command can go wrong.

load common

setup() {
	server_setup
}

teardown() {
	server_teardown
}

# A topology of one exec kernel $2 that runs argv $3 (a YAML flow
# list), in file $1.
argv_topology() {
	printf 'kernels:\n  %s: {kernel: exec, params: {argv: %s}}\npipeline: [%s]\n' \
		"$2" "$3" "$2" >"$1"
}

@test "kernels and describe show exec" {
	run "$RINGCTL" kernels
	assert_success
	assert_line --regexp '^exec +exec\.so +runs a command that reads and writes JSON lines$'
	run "$RINGCTL" describe exec
	assert_success
	assert_line --regexp '^  command +string'
	assert_line --regexp '^  dir +path +\.'
	assert_line 'entry:       process_batch, flush at end of input, idle between messages, stop at terminate'
}

@test "inline: exec cat passes lines through" {
	run --separate-stderr bash -c "values 3 | '$RINGCTL' run 'exec cat'"
	assert_success
	assert_output '{"value":1}
{"value":2}
{"value":3}'
	[ -z "$stderr" ]
}

@test "inline: a '|' inside quotes belongs to the command" {
	run bash -c "values 2 | '$RINGCTL' run \"exec sh -c 'cat | sed s/value/v/' | identity\""
	assert_success
	assert_output '{"v":1}
{"v":2}'
	run bash -c "values 1 | '$RINGCTL' run \"exec sed 's/value/a|b/'\""
	assert_success
	assert_output '{"a|b":1}'
}

@test "inline: exec feeds a typed kernel, any number of lines per input" {
	run bash -c "values 3 | '$RINGCTL' run \"exec sed -n 'p;p' | doubler\""
	assert_success
	assert_output '{"result":2}
{"result":2}
{"result":4}
{"result":4}
{"result":6}
{"result":6}'
}

@test "YAML: argv as a list, env, and the file's directory as the working directory" {
	mkdir "$BATS_TEST_TMPDIR/topo"
	cat >"$BATS_TEST_TMPDIR/topo/t.yaml" <<'EOF'
kernels:
  where:
    kernel: exec
    params:
      argv: [sh, -c, 'cat >/dev/null; printf "{\"dir\":\"%s\",\"foo\":\"%s\"}\n" "$PWD" "$FOO"']
      env: ['FOO=it is bar']
pipeline: [where]
EOF
	cd /
	run bash -c "values 1 | '$RINGCTL' run '$BATS_TEST_TMPDIR/topo/t.yaml'"
	assert_success
	assert_output "{\"dir\":\"$(cd "$BATS_TEST_TMPDIR/topo" && pwd -P)\",\"foo\":\"it is bar\"}"
}

@test "the command has no descriptor but the three standard ones" {
	# ls lists its own: the three, and 3, the directory it reads;
	# ringctl's 9 (and its plugins' and pipes') stay behind.
	argv_topology "$BATS_TEST_TMPDIR/fd.yaml" fds \
		"[sh, -c, 'cat >/dev/null; exec ls /proc/self/fd']"
	run bash -c "values 1 | '$RINGCTL' run '$BATS_TEST_TMPDIR/fd.yaml' 9</dev/null"
	assert_success
	assert_output '0
1
2
3'
}

@test "replicas keep the input order" {
	cat >"$BATS_TEST_TMPDIR/r.yaml" <<'EOF'
kernels:
  slow:
    kernel: exec
    replicas: 4
    params:
      argv: [sh, -c, 'while IFS= read -r l; do case $l in *[13579]}) sleep 0.01;; esac; printf "%s\n" "$l"; done']
pipeline: [slow]
EOF
	run bash -c "values 200 | '$RINGCTL' run '$BATS_TEST_TMPDIR/r.yaml' | cmp - <(values 200) && echo same"
	assert_success
	assert_output same
}

@test "a replica that answers a line with two is an error that says so" {
	cat >"$BATS_TEST_TMPDIR/r.yaml" <<'EOF'
kernels:
  twice: {kernel: exec, replicas: 2, params: {command: "sed -u p"}}
pipeline: [twice]
EOF
	run --separate-stderr bash -c "values 6 | '$RINGCTL' run '$BATS_TEST_TMPDIR/r.yaml'"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"ringctl: twice:"*"more than one line"*"it must answer each line with exactly one"* ||
	   "$stderr" == *"ringctl: twice:"*"wrote more lines than it was given"* ]]
}

@test "a command that dies mid-stream: its status and stderr, what came before delivered" {
	run --separate-stderr bash -c "values 5 | '$RINGCTL' run \"exec sh -c 'read -r l; echo \\\"\\\$l\\\"; echo oops >&2; exit 3'\""
	[ "$status" -eq 1 ]
	assert_output '{"value":1}'
	[[ "$stderr" == *"ringctl: exec: message "*": command "*"it exited with status 3; its stderr ends: oops"* ]]
}

@test "a command killed by a signal says which" {
	argv_topology "$BATS_TEST_TMPDIR/k.yaml" k "[sh, -c, 'cat; kill -9 \$\$']"
	run --separate-stderr bash -c "values 3 | '$RINGCTL' run '$BATS_TEST_TMPDIR/k.yaml'"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"was killed by signal 9"* ]]
}

@test "a line that is not JSON fails the kernel, naming the output line" {
	run --separate-stderr bash -c "values 3 | '$RINGCTL' run \"exec awk '{ print; print \\\"garbage\\\"; fflush() }'\""
	[ "$status" -eq 1 ]
	assert_output '{"value":1}'
	[[ "$stderr" == *"ringctl: exec: message "*": command's output line 2 is not JSON ('garbage')"* ]]
}

@test "a command that cannot be started is an error at launch" {
	run --separate-stderr bash -c "values 1 | '$RINGCTL' run 'exec ./no-such-dir/x' "
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"not found"* ]]
	argv_topology "$BATS_TEST_TMPDIR/n.yaml" x "[no-such-command-here]"
	run --separate-stderr bash -c "values 1 | '$RINGCTL' run '$BATS_TEST_TMPDIR/n.yaml'"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"command 'no-such-command-here' not found on PATH"* ]]
}

@test "validate names an exec kernel without a command, or with argv not a list, at its line" {
	cat >"$BATS_TEST_TMPDIR/v.yaml" <<'EOF'
kernels:
  none: {kernel: exec}
  both: {kernel: exec, params: {command: cat, argv: [cat]}}
  word: {kernel: exec, params: {argv: cat}}
  ok: {kernel: exec, params: {argv: [cat]}}
pipeline: [none, both, word, ok]
EOF
	run --separate-stderr "$RINGCTL" validate "$BATS_TEST_TMPDIR/v.yaml"
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"v.yaml:2:"*"kernel 'exec': give the command to run as command"*"one of the two"* ]]
	[[ "$stderr" == *"v.yaml:3:"*"one of the two"* ]]
	[[ "$stderr" == *"v.yaml:4:"*"argv must be a non-empty list of strings (a JSON array), not 'cat'"* ]]
	[[ "$stderr" != *"v.yaml:5:"* ]]
	# The same check at launch, before anything starts.
	run "$RINGCTL" run exec < /dev/null
	[ "$status" -ne 0 ]
	assert_output --partial "one of the two"
}

@test "a command that never reads: bounded memory, and the run still fails cleanly" {
	big=$(printf 'x%.0s' $(seq 200))
	"$RINGCTL" run --queue-size 64 "exec sh -c 'sleep 3'" \
		< <(yes "{\"k\":\"$big\"}" | head -n 200000) \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	sleep 2
	# 40 MB of input waits upstream: the pipes and queues hold little.
	hwm=$(awk '/^VmHWM/ { print $2 }' /proc/$pid/status)
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 1 ]
	[ "$hwm" -lt 65536 ]
	grep -Eq "command (stopped reading its input|closed its output), after 0 output lines: it exited with status 0" "$BATS_TEST_TMPDIR/err"
}

@test "launch, send, recv; terminate escalates to SIGKILL within the timeout" {
	pidfile=$BATS_TEST_TMPDIR/pid
	active up --kernel exec --param "command=trap '' TERM; echo \$\$ >$pidfile; while IFS= read -r l; do echo \"\$l\"; done; while :; do sleep 1; done"
	echo '{"a":1}' | "$RINGCTL" send up
	run "$RINGCTL" recv up --timeout 5
	assert_success
	assert_output '{"a":1}'
	child=$(cat "$pidfile")
	start=$(date +%s%N)
	run "$RINGCTL" terminate up --timeout 1
	assert_success
	took=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$took" -lt 2000 ]
	gone "$child" 10
}

@test "terminate lets the command finish what is queued within the timeout, and gives up past it" {
	seen=$BATS_TEST_TMPDIR/seen
	active up --kernel exec --param one_line=true --param "command=while IFS= read -r l; do sleep 0.1; echo \"\$l\" >>$seen; echo \"\$l\"; done"
	values 10 | "$RINGCTL" send up
	run "$RINGCTL" terminate up --timeout 10
	assert_success
	# Every message went through the command, none failed for the
	# terminate (which used to fail the ones in flight at once).
	[ "$(wc -l <"$seen")" -eq 10 ]
	[[ "$output" != *"dropped"* ]]
	active slow --kernel exec --param one_line=true --param "command=while IFS= read -r l; do sleep 1; echo \"\$l\"; done"
	values 10 | "$RINGCTL" send slow
	start=$(date +%s%N)
	run "$RINGCTL" terminate slow --timeout 1.5
	took=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$took" -lt 4500 ]
	assert_output --partial "dropped"
}

@test "deactivate stops feeding the command; reactivate goes on" {
	active up --kernel exec --param command=cat --param one_line=true
	"$RINGCTL" deactivate up
	echo '{"a":1}' | "$RINGCTL" send up
	run "$RINGCTL" recv up --timeout 0.3
	[ "$status" -eq 6 ]
	"$RINGCTL" reactivate up
	run "$RINGCTL" recv up --timeout 5
	assert_success
	assert_output '{"a":1}'
}

@test "Ctrl-C of run ends the command with its input and leaves no child" {
	fifo=$BATS_TEST_TMPDIR/in
	pidfile=$BATS_TEST_TMPDIR/pid
	mkfifo "$fifo"
	"$RINGCTL" run "exec sh -c 'echo \$\$ >$pidfile; exec cat'" <"$fifo" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	exec 7>"$fifo"
	echo '{"value":21}' >&7
	wait_file "$BATS_TEST_TMPDIR/out"
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	exec 7>&-
	[ "$status" -eq 130 ]
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = '{"value":21}' ]
	gone "$(cat "$pidfile")"
}

@test "a second Ctrl-C, or a killed ringctl, leaves no child either" {
	for how in twice kill; do
		fifo=$BATS_TEST_TMPDIR/in-$how
		pidfile=$BATS_TEST_TMPDIR/pid-$how
		mkfifo "$fifo"
		"$RINGCTL" run "exec sh -c 'echo \$\$ >$pidfile; exec sleep 100'" \
			<"$fifo" >/dev/null 2>&1 3>&- &
		pid=$!
		exec 7>"$fifo"
		echo '{"value":1}' >&7
		wait_file "$pidfile"
		if [ "$how" = twice ]; then
			kill -INT "$pid"
			sleep 0.3
			kill -INT "$pid"
		else
			kill -KILL "$pid"
		fi
		wait "$pid" || true
		exec 7>&-
		gone "$(cat "$pidfile")"
	done
}

@test "the command's stderr passes through" {
	run --separate-stderr bash -c "values 1 | '$RINGCTL' run \"exec sh -c 'cat; echo note >&2'\""
	assert_success
	assert_output '{"value":1}'
	[ "$stderr" = note ]
}

@test "the README's exec examples run" {
	printf '{"value":2}\n{"value":1}\n{"value":2}\n' >"$BATS_TEST_TMPDIR/in.jsonl"
	cd "$BATS_TEST_TMPDIR"
	sed -n 's/^    \$ \(ringctl run "exec .*\)$/\1/p' "$top_srcdir/README" >cmds
	[ "$(wc -l <cmds)" -eq 2 ]
	run bash -c "ringctl() { '$RINGCTL' \"\$@\"; }; . ./cmds"
	assert_success
	assert_output '{"v":2}
{"v":1}
{"v":2}
{"value":1}
{"value":2}'
}

@test "ringctl-topology(5)'s exec example runs, in order" {
	awk '/^A command as a kernel, in four copies/ { on = 1; next }
	     on && /^\.Ed/ { exit } on && !/^\./' \
		"$top_srcdir/man/ringctl-topology.5" >"$BATS_TEST_TMPDIR/tag.yaml"
	run bash -c "values 50 | '$RINGCTL' run '$BATS_TEST_TMPDIR/tag.yaml'"
	assert_success
	[ "${#lines[@]}" -eq 50 ]
	[ "${lines[0]}" = '{"seen":true,"value":1}' ]
	[ "${lines[49]}" = '{"seen":true,"value":50}' ]
}

@test "launch -f: an exec kernel of a topology in the server, from the file's directory" {
	mkdir "$BATS_TEST_TMPDIR/topo"
	cat >"$BATS_TEST_TMPDIR/topo/t.yaml" <<'EOF2'
kernels:
  here:
    kernel: exec
    params:
      command: 'while IFS= read -r l; do printf "{\"dir\":\"%s\"}\n" "$PWD"; done'
      one_line: true
pipeline: [here]
EOF2
	cd "$BATS_TEST_TMPDIR"
	run "$RINGCTL" launch -f topo/t.yaml
	assert_success
	"$RINGCTL" activate here
	echo '{}' | "$RINGCTL" send here
	run "$RINGCTL" recv here --timeout 5
	assert_success
	assert_output "{\"dir\":\"$(cd topo && pwd -P)\"}"
}

@test "a killed server leaves no command behind" {
	pidfile=$BATS_TEST_TMPDIR/pid
	active up --kernel exec --param "command=echo \$\$ >$pidfile; sh -c 'sleep 100' & sleep 100"
	echo '{"a":1}' | "$RINGCTL" send up
	wait_file "$pidfile"
	child=$(cat "$pidfile")
	group=$(ps -o pgid= -p "$child" | tr -d ' ')
	[ "$(pgrep -g "$group" | wc -l)" -ge 3 ]  # guard, sh, sh -c, sleeps
	kill -KILL "$(cat "$SOCK_DIR/default.pid")"
	gone "$child"
	# The shell's own children, in its process group, went with it.
	for _ in $(seq 50); do
		pgrep -g "$group" >/dev/null || break
		sleep 0.1
	done
	! pgrep -g "$group"
}

@test "ringctl(1)'s jq example, where jq is installed" {
	command -v jq >/dev/null || skip "jq is not installed"
	cmd=$(sed -n "s/^\.Ql ringctl run \\\\(dq\(exec jq.*\)\\\\(dq ;$/\1/p" "$top_srcdir/man/ringctl.1")
	[ -n "$cmd" ]
	run bash -c "echo '{\"x\":21}' | '$RINGCTL' run \"\$1\"" _ "$cmd"
	assert_success
	assert_output '{"result":42}'
}
