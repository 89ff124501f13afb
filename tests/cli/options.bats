#!/usr/bin/env bats
# options.bats - ringctl(1) and the bash, zsh and fish completions name
# every option of every command, and none that the command does not
# take.  A command's options are its template (struct cmd_entry's
# options, src/cmd-*.c), which `ringctl help COMMAND` prints one to a
# line: "  -x, --name ARG  text" or "      --name ARG  text"
# (src/options-help.c).  --help and -h are every command's too: the
# parser answers them for a command that runs here, the client for a
# server command.

load common

commands() {
	"$RINGCTL" --help | sed -n '/^Commands/,/^$/p' | awk 'NR > 1 && NF { print $1 }'
}

# The long options of a command's template, one a line, as "--name".
template_long() {
	"$RINGCTL" help "$1" | sed -n -E 's/^  (-[A-Za-z], |    )(--[a-z][a-z-]*).*/\2/p' | sort -u
}

# The short options of its template, as "-x".
template_short() {
	"$RINGCTL" help "$1" | sed -n -E 's/^  (-[A-Za-z])(,| ).*/\1/p' | sort -u
}

# Every option name the command takes: its template and --help.
takes() {
	{ template_long "$1"; template_short "$1"; echo --help; echo -h; } | sort -u
}

# The part of ringctl(1) on a command: from each ".It Cm NAME" to the
# next command (launch has two).
man_part() {
	awk -v c="$1" '
		/^\.Sh / { in_commands = $2 == "COMMANDS"; on = 0 }
		in_commands && /^\.It Cm / { on = $3 == c }
		on' "$top_srcdir/man/ringctl.1"
}

# The options a text of mdoc names: "Fl Fl name" and "Fl x".
man_names() {
	grep -o -E 'Fl Fl [a-z][a-z-]*|Fl [A-Za-z]([ ,]|$)' |
		sed -E 's/^Fl Fl /--/; s/^Fl /-/; s/[ ,]$//' | sort -u
}

# The options the bash completion offers a command.
bash_names() {
	(source "$top_srcdir/completions/bash/ringctl"; _ringctl_options "$1") |
		tr ' ' '\n' | grep . | sort -u
}

# The options of a command's case in the zsh completion, from
# "NAME)" or "A|NAME|B)" to ";;".
zsh_names() {
	awk -v c="$1" '
		/^\t\t[a-z|-]+\)/ {
			split(substr($1, 1, index($1, ")") - 1), names, "|")
			on = 0
			for (i in names)
				if (names[i] == c)
					on = 1
		}
		on { print }
		/;;/ { on = 0 }' "$top_srcdir/completions/zsh/_ringctl" |
		grep -o -E "'--[a-z][a-z-]*|'-[A-Za-z][[']" | sed -E "s/^'//; s/[[']$//" | sort -u
}

# The options of the fish completion's lines for a command.
fish_names() {
	grep -E -- "__fish_seen_subcommand_from ([a-z -]* )?$1( [a-z -]*)?\"" \
		"$top_srcdir/completions/fish/ringctl.fish" |
		grep -o -E -- ' -[ls] [A-Za-z][a-z-]*' |
		sed -E 's/^ -l /--/; s/^ -s /-/' | sort -u
}

# Fail, saying so, unless every line of $2 is in $3: $1 says what.
all_in() {
	local missing
	missing=$(comm -23 <(printf '%s\n' "$2" | grep . | sort -u) \
		<(printf '%s\n' "$3" | sort -u))
	[ -z "$missing" ] || { echo "$1:" $missing; return 1; }
}

@test "the templates are what --help lists" {
	# The sed of template_long must see the options: a few known ones.
	[ "$(template_long recv | tr '\n' ' ')" = "--count --envelope --follow --timeout " ]
	[ "$(template_short terminate | tr '\n' ' ')" = "-a -t " ]
	[ -z "$(template_long state)" ]
}

@test "ringctl(1) names every option of every command, and no other" {
	for c in $(commands); do
		part=$(man_part "$c")
		[ -n "$part" ] || { echo "no .It Cm $c in ringctl(1)"; return 1; }
		named=$(printf '%s\n' "$part" | man_names)
		all_in "ringctl(1) lacks, for $c" "$(template_long "$c"; template_short "$c")" "$named"
		# Global options may be named in passing (validate: -v).
		all_in "ringctl(1) names what $c does not take" "$named" \
			"$(takes "$c"; printf '%s\n' -L -S -q -v -V --name --socket --plugin-path --quiet --verbose --version)"
	done
}

@test "the bash, zsh and fish completions offer every option of every command, and no other" {
	for shell in bash zsh fish; do
		for c in $(commands); do
			offered=$("${shell}_names" "$c")
			all_in "$shell lacks, for $c" "$(template_long "$c")" "$offered"
			all_in "$shell offers what $c does not take" "$offered" "$(takes "$c")"
		done
	done
}
