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
