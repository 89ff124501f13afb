#!/usr/bin/env bats
# run.bats - `ringctl run`: pipelines on JSON lines, stdin to stdout,
# and every way a run can go wrong.

load common

@test "run doubler doubles, in order" {
	run --separate-stderr bash -c "seq 1 5 | sed 's/.*/{\"value\": &}/' | '$RINGCTL' run doubler"
	assert_success
	[ "$output" = '{"result":2}
{"result":4}
{"result":6}
{"result":8}
{"result":10}' ]
	[ -z "$stderr" ]
}

@test "the README example: jq into run doubler" {
	command -v jq >/dev/null || skip "jq is not installed"
	run bash -c "seq 1 5 | jq -c '{value: .}' | '$RINGCTL' run doubler"
	assert_success
	assert_line --index 4 '{"result":10}'
}

@test "a pipeline: doubler | sum flushes at end of input" {
	run bash -c "values 100 | '$RINGCTL' run 'doubler | sum'"
	assert_success
	assert_output '{"count":100,"sum":10100}'
}

@test "order is kept through three stages over 100000 lines" {
	run bash -c "values 100000 | '$RINGCTL' run 'doubler | identity | identity' | awk -F'[:}]' '{ if (\$2 != 2 * NR) { print \"line \" NR \": \" \$0; exit 1 } } END { print NR }'"
	assert_success
	assert_output 100000
}

@test "empty input gives empty output, and sum its zero" {
	run bash -c "'$RINGCTL' run doubler </dev/null"
	assert_success
	assert_output ''
	run bash -c "'$RINGCTL' run 'doubler | sum' </dev/null"
	assert_success
	assert_output '{"count":0,"sum":0}'
}

@test "blank lines are not messages" {
	run bash -c "printf '{\"value\":1}\n\n   \n{\"value\":2}\n' | '$RINGCTL' run doubler"
	assert_success
	assert_output '{"result":2}
{"result":4}'
}

@test "the last line needs no newline" {
	run bash -c "printf '{\"value\":1}\n{\"value\":2}' | '$RINGCTL' run doubler"
	assert_success
	assert_line --index 1 '{"result":4}'
}

@test "a bad line stops the run (65), names the line, keeps what came before" {
	run --separate-stderr bash -c "printf '{\"value\":1}\n{\"value\":2}\n{\"valu\":3}\n{\"value\":4}\n' | '$RINGCTL' run doubler"
	assert_failure 65
	[ "$output" = '{"result":2}
{"result":4}' ]
	[ "$stderr" = "ringctl: <stdin>:3: unknown field 'valu' (2 messages sent before it)" ]
}

@test "every kind of bad line is reported with its line number" {
	for bad in '{"value":"x"}' '{"value":1.5}' '{}' '{"value":1,"value":2}' \
		   '[1]' '{"value":1} x' '{"value":99999999999999999999}' 'nul'; do
		run --separate-stderr bash -c "printf '%s\n' '$bad' | '$RINGCTL' run doubler"
		[ "$status" -eq 65 ] || { echo "$bad: status $status"; return 1; }
		[[ "$stderr" == "ringctl: <stdin>:1: "* ]] || { echo "$bad: $stderr"; return 1; }
	done
}

@test "--on-error=skip counts bad lines and goes on" {
	run --separate-stderr bash -c "printf '{\"value\":1}\nnot json\n{\"value\":3}\n' | '$RINGCTL' run --on-error=skip doubler"
	assert_success
	[ "$output" = '{"result":2}
{"result":6}' ]
	[[ "$stderr" == "ringctl: warning: skipped 1 bad line, the last: <stdin>:2: "* ]]
}

@test "a line longer than --max-line is bad data" {
	run --separate-stderr bash -c "{ echo '{\"value\":1}'; printf '{\"value\":%0100d}\n' 1; } | '$RINGCTL' run --max-line 50 doubler"
	assert_failure 65
	assert_output '{"result":2}'
	[[ "$stderr" == "ringctl: <stdin>:2: line is longer than 50 bytes"* ]]
}

@test "a kernel failing on a message: reported, drained, exit 1" {
	run --separate-stderr bash -c "printf '{\"value\":1}\n{\"value\":9223372036854775807}\n' | '$RINGCTL' run doubler"
	assert_failure 1
	assert_output '{"result":2}'
	[ "$stderr" = "ringctl: doubler: message 2: 9223372036854775807 doubled overflows int64" ]
}

@test "--on-error=skip counts failing messages" {
	run --separate-stderr bash -c "printf '{\"value\":1}\n{\"value\":9223372036854775807}\n{\"value\":3}\n' | '$RINGCTL' run --on-error=skip doubler"
	assert_success
	[ "$output" = '{"result":2}
{"result":6}' ]
	[[ "$stderr" == "ringctl: warning: 1 message failed, the last: doubler: message 2: "* ]]
}

@test "an unknown kernel is not found (3)" {
	run --separate-stderr bash -c "echo '{}' | '$RINGCTL' run nosuch"
	assert_failure 3
	[ "$stderr" = "ringctl: kernel 'nosuch' not found" ]
}

@test "a kernel by plugin path, and PATH:KERNEL" {
	run bash -c "values 2 | '$RINGCTL' run '$KERNELS/doubler.so'"
	assert_success
	assert_line --index 1 '{"result":4}'
	run bash -c "echo '[1,{\"a\":null}]' | '$RINGCTL' run '$TEST_PLUGINS/two-kernels.so:first'"
	assert_success
	assert_output '[1,{"a":null}]'
}

@test "a plugin with several kernels needs PATH:KERNEL" {
	run --separate-stderr bash -c "echo 1 | '$RINGCTL' run '$TEST_PLUGINS/two-kernels.so'"
	assert_failure 2
	[[ "$stderr" == *"two-kernels.so holds 2 kernels: name one as "* ]]
}

@test "a missing plugin file is not found (3)" {
	run --separate-stderr bash -c "echo 1 | '$RINGCTL' run /nonexistent/x.so"
	assert_failure 3
	[[ "$stderr" == "ringctl: /nonexistent/x.so: No such file or directory" ]]
}

@test "a file that is not a shared object: exit 1 with dlerror's words" {
	bad="$BATS_TEST_TMPDIR/garbage.so"
	head -c 4096 /dev/zero | tr '\0' x >"$bad"
	run --separate-stderr bash -c "echo 1 | '$RINGCTL' run '$bad'"
	assert_failure 1
	[[ "$stderr" == "ringctl: $bad: "*"invalid ELF header"* ]]
}

@test "a shared object that is not a plugin: exit 1" {
	run --separate-stderr bash -c "echo 1 | '$RINGCTL' run '$TEST_PLUGINS/no-table.so'"
	assert_failure 1
	[[ "$stderr" == *"no-table.so: not a ringctl plugin (no ringkernel_plugin symbol)" ]]
}

@test "a plugin of another ABI version: exit 1" {
	run --separate-stderr bash -c "echo 1 | '$RINGCTL' run '$TEST_PLUGINS/bad-abi.so'"
	assert_failure 1
	[[ "$stderr" == *"bad-abi.so: a ringctl plugin of ABI version 99, expected 1" ]]
}

@test "a kernel whose init fails: exit 1, naming it and why" {
	run --separate-stderr bash -c "echo 1 | '$RINGCTL' run '$TEST_PLUGINS/failing-init.so'"
	assert_failure 1
	[ "$stderr" = "ringctl: kernel 'needs_device' failed to initialize: no device here" ]
}

@test "a broken plugin on the path is named when a kernel is not found" {
	dir="$BATS_TEST_TMPDIR/plugins"
	mkdir -p "$dir"
	echo junk >"$dir/junk.so"
	run --separate-stderr bash -c "echo 1 | RINGCTL_PLUGIN_PATH='$dir' '$RINGCTL' run nosuch"
	assert_failure 3
	[[ "$stderr" == "ringctl: kernel 'nosuch' not found (1 plugin could not be loaded: "*"junk.so"* ]]
}

@test "a kernel whose thread dies fails the run" {
	run --separate-stderr bash -c "printf '1\n\"boom\"\n3\n' | '$RINGCTL' run '$TEST_PLUGINS/two-kernels.so:crash'"
	assert_failure 1
	assert_line --index 0 '1'
	[[ "$stderr" == *"crash failed"* ]]
}

@test "--param sets a parameter; KERNEL.KEY in a pipeline" {
	run bash -c "values 4 | '$RINGCTL' run sum --param every=2"
	assert_success
	assert_output '{"count":2,"sum":3}
{"count":4,"sum":10}'
	run bash -c "values 4 | '$RINGCTL' run 'doubler | sum' -p sum.every=3"
	assert_success
	assert_output '{"count":3,"sum":12}
{"count":4,"sum":20}'
}

@test "bad parameters are configuration errors (78)" {
	run --separate-stderr bash -c "echo '{}' | '$RINGCTL' run sum --param nope=1"
	assert_failure 78
	[ "$stderr" = "ringctl: kernel 'sum' has no parameter 'nope'" ]
	run --separate-stderr bash -c "echo '{}' | '$RINGCTL' run sum --param every=often"
	assert_failure 78
	[ "$stderr" = "ringctl: parameter 'every' of kernel 'sum' must be an int, not 'often'" ]
}

@test "a --param that names no kernel of the pipeline is a usage error (2)" {
	run --separate-stderr bash -c "echo '{}' | '$RINGCTL' run 'doubler | sum' --param every=1"
	assert_failure 2
	[[ "$stderr" == "ringctl: --param 'every=1': name the kernel, as KERNEL.KEY=VALUE"* ]]
	run --separate-stderr bash -c "echo '{}' | '$RINGCTL' run 'doubler | sum' --param other.every=1"
	assert_failure 2
	[[ "$stderr" == "ringctl: --param 'other.every=1': no kernel 'other' in the topology"* ]]
	run --separate-stderr bash -c "echo '{}' | '$RINGCTL' run sum --param every"
	assert_failure 2
}

@test "typed kernels that do not fit together are a configuration error (78)" {
	run --separate-stderr bash -c "echo '{}' | '$RINGCTL' run 'doubler | scale'"
	assert_failure 78
	[ "$stderr" = "ringctl: kernel 'doubler' emits doubler_out messages but 'scale' takes vector_x" ]
}

@test "an empty stage is a usage error (2)" {
	run --separate-stderr "$RINGCTL" run 'doubler | | sum'
	assert_failure 2
	[[ "$stderr" == "ringctl: empty stage 2 in pipeline 'doubler | | sum'"* ]]
}

@test "a repeated kernel gets its own id" {
	run bash -c "values 3 | '$RINGCTL' run 'identity | doubler | identity'"
	assert_success
	assert_line --index 2 '{"result":6}'
}

@test "SIGPIPE downstream ends quietly with status 0" {
	run --separate-stderr bash -c "values 200000 | '$RINGCTL' run doubler | head -1; echo \"status \${PIPESTATUS[1]}\""
	assert_success
	assert_output '{"result":2}
status 0'
	[ -z "$stderr" ]
}

@test "Ctrl-C drains what was sent and exits 130" {
	fifo="$BATS_TEST_TMPDIR/in"
	mkfifo "$fifo"
	"$RINGCTL" run doubler <"$fifo" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	exec 7>"$fifo"
	echo '{"value":21}' >&7
	for _ in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/out" ] && break; sleep 0.1; done
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	exec 7>&-
	[ "$status" -eq 130 ]
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = '{"result":42}' ]
}

@test "SIGTERM drains too and exits 143" {
	fifo="$BATS_TEST_TMPDIR/in"
	mkfifo "$fifo"
	"$RINGCTL" run 'doubler | sum' <"$fifo" >"$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	exec 7>"$fifo"
	printf '{"value":1}\n{"value":2}\n' >&7
	sleep 0.3
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	exec 7>&-
	[ "$status" -eq 143 ]
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = '{"count":2,"sum":6}' ]
}

@test "--envelope shows ids, correlation ids and priority" {
	run bash -c "values 2 | '$RINGCTL' run --envelope doubler"
	assert_success
	assert_line --index 0 --regexp '^\{"message_id":[0-9]+,"correlation_id":[1-9][0-9]*,"priority":128,"enqueue_ns":[0-9]+,"message":\{"result":2\}\}$'
}

@test "--stats prints telemetry to stderr" {
	run --separate-stderr bash -c "values 10 | '$RINGCTL' run --stats 'doubler | sum'"
	assert_success
	assert_output '{"count":10,"sum":110}'
	[[ "$stderr" == *"ringctl: stats: doubler: received 10, processed 10, sent 10, dropped 0, errors 0"* ]]
	[[ "$stderr" == *"ringctl: stats: sum: received 10, processed 10, sent 1,"* ]]
}

@test "usage errors: no pipeline, bad options" {
	run --separate-stderr "$RINGCTL" run
	assert_failure 2
	run --separate-stderr "$RINGCTL" run --on-error=maybe doubler
	assert_failure 2
	[[ "$stderr" == "ringctl: --on-error is fail or skip, not 'maybe'"* ]]
	run --separate-stderr "$RINGCTL" run --max-line 0 doubler
	assert_failure 2
}

@test "a queue too big for memory fails the run; it never hangs" {
	# 2^24 slots of 64 MiB: no machine has that.  The end of input,
	# refused like the line, once left the writer waiting for ever.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1"
	for kernel in identity 'identity | identity'; do
		run --separate-stderr timeout -k 5 30 "$RINGCTL" run --max-line 67108864 \
			--queue-size 16777216 "$kernel" <<<'{"value":1}'
		assert_failure 1
		[[ "$stderr" == *"cannot send to kernel 'identity': out of memory"* ]]
		[[ "$stderr" == *"the end of the input did not go in: cannot send to kernel 'identity': out of memory"* ]]
	done
}

@test "--max-line is at most what a queue may hold, and says so" {
	run --separate-stderr "$RINGCTL" run --max-line 67108865 doubler
	assert_failure 2
	[[ "$stderr" == "ringctl: --max-line wants a size in bytes from 1 to 67108864, not '67108865'"* ]]
	run --separate-stderr "$RINGCTL" run --max-line 1073741824 doubler
	assert_failure 2
}

@test "run --help lists its options" {
	run "$RINGCTL" run --help
	assert_success
	assert_output --partial '--on-error'
	assert_output --partial '--max-line'
}

@test "--progress shows a line on a terminal, and wipes it" {
	command -v script >/dev/null || skip "no script(1) for a terminal"
	run bash -c "script -qc \"seq 1 2000000 | sed 's/.*/{\\\"value\\\":&}/' | '$RINGCTL' run --progress doubler >/dev/null\" /dev/null"
	assert_success
	[[ "$output" == *"ringctl: "*" in, "*" out"* ]]
	[[ "$output" == *$'\033[K'* ]]
}

@test "--progress shows the rate, and with files the percent and time left" {
	command -v script >/dev/null || skip "no script(1) for a terminal"
	seq 1 3000000 | sed 's/.*/{"value":&}/' >"$BATS_TEST_TMPDIR/in.json"
	run bash -c "script -qc \"'$RINGCTL' run --progress 'doubler | identity' '$BATS_TEST_TMPDIR/in.json' >/dev/null\" /dev/null"
	assert_success
	[[ "$output" == *" lines/s, "*"%"* ]]
	[[ "$output" == *" s left"* ]]
}

@test "--progress stays quiet when stderr is not a terminal" {
	run --separate-stderr bash -c "values 10 | '$RINGCTL' run --progress doubler"
	assert_success
	[ -z "$stderr" ]
}

@test "run reads the files it is given, - for stdin, as cat does" {
	printf '{"value":1}\n{"value":2}' >"$BATS_TEST_TMPDIR/a.json"
	printf '{"value":3}\n' >"$BATS_TEST_TMPDIR/b.json"
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr bash -c "echo '{\"value\":10}' | '$RINGCTL' run doubler a.json - b.json"
	assert_success
	assert_output $'{"result":2}\n{"result":4}\n{"result":20}\n{"result":6}'
	# Line numbers count in each file, and errors name it.
	printf '{"value":4}\n{"value":x}\n' >"$BATS_TEST_TMPDIR/c.json"
	run --separate-stderr "$RINGCTL" run doubler a.json c.json b.json
	assert_failure 65
	assert_output $'{"result":2}\n{"result":4}\n{"result":8}'
	[[ "$stderr" == "ringctl: c.json:2: "*"(3 messages sent before it)" ]]
	# One that cannot be read is said and skipped; the run then fails.
	run --separate-stderr "$RINGCTL" run doubler missing.json b.json
	assert_failure 1
	assert_output '{"result":6}'
	[[ "$stderr" == "ringctl: missing.json: No such file or directory"* ]]
	run --separate-stderr "$RINGCTL" run doubler "$BATS_TEST_TMPDIR"
	assert_failure 1
	[[ "$stderr" == *"Is a directory"* ]]
}

@test "run --backend places the kernels a topology leaves unplaced" {
	run --separate-stderr "$RINGCTL" run --backend cpu --stats doubler <<<'{"value":2}'
	assert_success
	assert_output '{"result":4}'
	run --separate-stderr "$RINGCTL" run --backend gpu doubler <<<'{"value":2}'
	assert_failure 2
	[[ "$stderr" == "ringctl: --backend is auto, cpu or cuda, not 'gpu'"* ]]
	# No device here (or no CUDA build): asked for, cuda is refused
	# clearly rather than run on the CPU.
	if [ -z "${RINGCTL_TEST_GPU:-}" ]; then
		run --separate-stderr env RK_CUDA_MODULE=/nonexistent "$RINGCTL" run --backend cuda doubler <<<'{"value":2}'
		assert_failure
		[ -z "$output" ]
	fi
}

@test "--unknown-fields: refused by default, passed over with ignore" {
	run --separate-stderr "$RINGCTL" run doubler <<<'{"value":1,"note":"x"}'
	assert_failure 65
	[[ "$stderr" == *"<stdin>:1: unknown field 'note'"* ]]
	run --separate-stderr "$RINGCTL" run --unknown-fields=ignore 'doubler | identity' <<<'{"note":[1,{"a":2}],"value":21}'
	assert_success
	assert_output '{"result":42}'
	run --separate-stderr "$RINGCTL" run --unknown-fields=ignore doubler <<<'{"value":1,"note":[1,}'
	assert_failure 65
}
