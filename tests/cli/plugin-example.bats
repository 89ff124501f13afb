#!/usr/bin/env bats
# plugin-example.bats - the example of ringkernel-plugin(7), built from
# the man page's own text and run, so that the page cannot lie.

load common

@test "the ringkernel-plugin(7) example builds and runs" {
	command -v cc >/dev/null || skip "no C compiler"
	src="$BATS_TEST_TMPDIR/celsius.c"
	sed -n '/^\.\\" example-begin/,/^\.\\" example-end/p' \
		"$top_srcdir/man/ringkernel-plugin.7" |
		sed '/^\./d' >"$src"
	grep -q 'RK_PLUGIN("celsius"' "$src"
	run cc -shared -fPIC -Wall -Werror -o "$BATS_TEST_TMPDIR/celsius.so" \
		"$src" -I"$top_srcdir/include"
	assert_success
	run bash -c "echo '{\"celsius\": 100}' | '$RINGCTL' run '$BATS_TEST_TMPDIR/celsius.so'"
	assert_success
	assert_output '{"fahrenheit":212}'
	run bash -c "printf '{\"celsius\": -40}\n{\"celsius\": 37.5}\n' | '$RINGCTL' run '$BATS_TEST_TMPDIR/celsius.so'"
	assert_output '{"fahrenheit":-40}
{"fahrenheit":99.5}'
}

@test "every kernel of the tree builds with the installed headers alone" {
	command -v cc >/dev/null || skip "no C compiler"
	# A kernel sees include/ (ringkernel-plugin.h and what it includes),
	# never the library's own headers.
	for f in "$top_srcdir"/kernels/*.c "$top_srcdir"/tests/plugins/*.c; do
		run cc -fsyntax-only -Wall -Werror -I"$top_srcdir/include" \
			-I"$top_srcdir/kernels" "$f"
		[ "$status" -eq 0 ] || { echo "$f: $output"; false; }
	done
}

@test "the kernel template builds alone, writes JSON with rk_json_out, and runs" {
	command -v cc >/dev/null || skip "no C compiler"
	run cc -shared -fPIC -Wall -Wextra -Werror -o "$BATS_TEST_TMPDIR/greet.so" \
		"$top_srcdir/examples/kernel-template/greet.c" -I"$top_srcdir/include"
	assert_success
	run bash -c "printf '{\"name\":\"Ada \\\\\"the\\\\\" Countess\"}\n{\"name\":\"Bob\"}\n' | '$RINGCTL' run '$BATS_TEST_TMPDIR/greet.so' --param word=hi"
	assert_success
	assert_output $'{"greeting":"hi, Ada \\"the\\" Countess","length":22}\n{"greeting":"hi, Bob","length":7}'
	run --separate-stderr bash -c "echo '{\"nom\":1}' | '$RINGCTL' run '$BATS_TEST_TMPDIR/greet.so'"
	assert_failure 1
	[[ "$stderr" == *"greet: message 1: no string field 'name'"* ]]
}

@test "a json kernel that emits what is not JSON fails that message, by name" {
	# 1 prints as {"said":"1"}; "x" as {"said":""x""}, which is not JSON.
	run --separate-stderr bash -c "printf '1\n\"x\"\n' | '$RINGCTL' run --on-error=skip '$TEST_PLUGINS/bad-json.so:unescaped | identity'"
	assert_success
	assert_output '{"said":"1"}'
	[[ "$stderr" == *"unescaped: message 2: emitted a message that is not JSON: invalid JSON"* ]]
	run --separate-stderr bash -c "printf '1\n\"x\"\n' | '$RINGCTL' run '$TEST_PLUGINS/bad-json.so:unescaped'"
	assert_failure 1
	# A main loop has no message to fail: the error is counted and said.
	run --separate-stderr bash -c "echo 1 | '$RINGCTL' run --stats '$TEST_PLUGINS/bad-json.so:main-bad'"
	assert_failure 1
	[[ "$stderr" == *"main-bad: message 1: emitted a message that is not JSON"* ]]
	[[ "$stderr" == *"main-bad: received 1, processed 1, sent 0, dropped 0, errors 1"* ]]
}
