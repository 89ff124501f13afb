#!/usr/bin/env bats
# ringctl.bats - the command itself: --help, --version, usage errors,
# command lookup by name and prefix.

load common

@test "--help prints usage to stdout and exits 0" {
	run --separate-stderr ringctl --help
	assert_success
	assert_line --index 0 --partial 'Usage: ringctl [-L NAME | -S SOCKET]'
	assert_output --partial 'Commands'
	assert_output --partial 'Exit status'
	[ -z "$stderr" ]
}

@test "-h is --help" {
	run ringctl -h
	assert_success
	assert_line --index 0 --partial 'Usage: ringctl'
}

@test "--version names the program, the library and the licence" {
	run --separate-stderr ringctl --version
	assert_success
	assert_line --index 0 --regexp '^ringctl [0-9]+\.[0-9]+\.[0-9]+ \(libringkernel [0-9.]+\)$'
	assert_output --partial 'GPLv3+'
	[ -z "$stderr" ]
}

@test "no command is a usage error (2)" {
	run --separate-stderr ringctl
	assert_failure 2
	[ -z "$output" ]
	[ "$stderr" = "ringctl: no command given
Try 'ringctl --help' for more information." ]
}

@test "an unknown command is a usage error (2)" {
	run --separate-stderr ringctl frobnicate
	assert_failure 2
	[ "$stderr" = "ringctl: unknown command 'frobnicate'
Try 'ringctl --help' for more information." ]
}

@test "a command one slip away is suggested" {
	run --separate-stderr ringctl lanuch doubler
	assert_failure 2
	[[ "$stderr" == "ringctl: unknown command 'lanuch'; did you mean 'launch'?"* ]]
	run --separate-stderr ringctl valdiate x.yaml
	[[ "$stderr" == "ringctl: unknown command 'valdiate'; did you mean 'validate'?"* ]]
}

@test "an unknown option is a usage error (2)" {
	run --separate-stderr ringctl --bogus help
	assert_failure 2
	[[ "$stderr" == "ringctl: unknown option '--bogus'"* ]]
	[[ "$stderr" == *"Try 'ringctl --help' for more information." ]]
}

@test "a global option without its argument is a usage error (2)" {
	run --separate-stderr ringctl -L
	assert_failure 2
	[[ "$stderr" == "ringctl: option '-L' needs an argument"* ]]
}

@test "-L and -S together are a usage error (2)" {
	run --separate-stderr ringctl -L a -S /tmp/x help
	assert_failure 2
	[[ "$stderr" == "ringctl: -L and -S cannot be used together"* ]]
}

@test "help COMMAND shows that command's usage" {
	run --separate-stderr ringctl help help
	assert_success
	assert_line --index 0 'Usage: ringctl help [COMMAND]'
	[ -z "$stderr" ]
}

@test "a unique prefix names a command" {
	run ringctl he
	assert_success
	assert_line --index 0 --partial 'Usage: ringctl'
}

@test "help of an unknown command is a usage error (2)" {
	run --separate-stderr ringctl help nosuch
	assert_failure 2
	[[ "$stderr" == "ringctl: unknown command 'nosuch'"* ]]
}

@test "help takes at most one operand" {
	run --separate-stderr ringctl help a b
	assert_failure 2
	[[ "$stderr" == "ringctl: help takes at most one command name"* ]]
}

@test "every command in --help is documented in ringctl(1)" {
	run ringctl --help
	assert_success
	commands=$(printf '%s\n' "$output" | sed -n '/^Commands/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
	[ -n "$commands" ]
	for c in $commands; do
		grep -q "^\.It Cm $c" "$top_srcdir/man/ringctl.1" || {
			echo "command '$c' is missing from man/ringctl.1"
			return 1
		}
	done
}

@test "the global options of --help are in ringctl(1)" {
	for opt in name socket plugin-path quiet verbose help version; do
		grep -q -- "$opt" "$top_srcdir/man/ringctl.1" || {
			echo "--$opt is missing from man/ringctl.1"
			return 1
		}
	done
}

@test "every option of every command's help is in ringctl(1)" {
	run ringctl --help
	commands=$(printf '%s\n' "$output" | sed -n '/^Commands/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
	for c in $commands; do
		for o in $("$RINGCTL" help "$c" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
			grep -q -- "Fl Fl ${o#--}" "$top_srcdir/man/ringctl.1" || {
				echo "ringctl $c $o is missing from man/ringctl.1"
				return 1
			}
		done
	done
}

@test "the man pages render without nested quotes or warnings" {
	command -v groff >/dev/null || skip "no groff to render the pages"
	for page in "$top_srcdir"/man/*.[1-8]; do
		text=$(groff -mandoc -Tutf8 -ww "$page" 2>"$BATS_TEST_TMPDIR/warnings")
		[ ! -s "$BATS_TEST_TMPDIR/warnings" ] || { cat "$BATS_TEST_TMPDIR/warnings"; return 1; }
		# A quote opened inside another, as an unclosed Dq renders.
		! grep -n '“[^”]*“\|””' <<<"$text" || { echo "in $page"; return 1; }
	done
}
