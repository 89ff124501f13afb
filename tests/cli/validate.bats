#!/usr/bin/env bats
# validate.bats - `ringctl validate`: every mistake in a topology named
# with FILE:LINE:COLUMN, exit 78; valid files are silent.

load common

topo() {
	cat >"$BATS_TEST_TMPDIR/t.yaml"
	echo "$BATS_TEST_TMPDIR/t.yaml"
}

@test "the example topologies are valid, silently" {
	for f in "$top_srcdir"/examples/topologies/*.yaml; do
		run --separate-stderr ringctl validate "$f"
		[ "$status" -eq 0 ] || { echo "$f: $stderr"; return 1; }
		[ -z "$output" ] && [ -z "$stderr" ]
	done
}

@test "-v says a file is valid" {
	run --separate-stderr ringctl -v validate "$top_srcdir/examples/topologies/fan-in.yaml"
	assert_success
	[[ "$stderr" == *"fan-in.yaml: valid, 4 kernels" ]]
}

@test "unknown keys, with line and column" {
	f=$(topo <<'YAML'
name: x
kernels:
  doubler:
    replica: 2
pipeline: [doubler]
colour: blue
YAML
)
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[[ "$stderr" == *"$f:4:5: unknown key 'replica' in kernel 'doubler'"* ]]
	[[ "$stderr" == *"$f:6:1: unknown key 'colour'"* ]]
}

@test "values of the wrong type" {
	f=$(topo <<'YAML'
queue_size: lots
telemetry: maybe
kernels:
  doubler: {replicas: -1, backpressure: shove}
pipeline: doubler
YAML
)
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[[ "$stderr" == *"$f:1:13: queue_size must be a whole number from 1 to 16777216, not 'lots'"* ]]
	[[ "$stderr" == *"$f:2:12: telemetry must be true or false, not 'maybe'"* ]]
	[[ "$stderr" == *"$f:4:23: replicas must be a whole number from 1 to 1024, not '-1'"* ]]
	[[ "$stderr" == *"backpressure must be block, reject, drop_oldest or drop_newest, not 'shove'"* ]]
	[[ "$stderr" == *"$f:5:11: pipeline must be a list of kernels, not a scalar"* ]]
}

@test "an unknown kernel is named where it is written" {
	f=$(topo <<'YAML'
kernels:
  a:
    kernel: nosuch
pipeline: [a]
YAML
)
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[ "$stderr" = "ringctl: $f:3:13: kernel 'nosuch' not found" ]
}

@test "bad parameters, each at its line" {
	f=$(topo <<'YAML'
kernels:
  total:
    kernel: sum
    params:
      every: often
      colour: red
  f: {kernel: filter}
pipeline: [total, f]
YAML
)
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[[ "$stderr" == *"$f:5:14: parameter 'every' of kernel 'sum' must be an int, not 'often'"* ]]
	[[ "$stderr" == *"$f:6:15: kernel 'sum' has no parameter 'colour'"* ]]
	[[ "$stderr" == *"$f:7:3: kernel 'filter' needs parameter 'field'"* ]]
}

@test "edges to and from nowhere, stdout as a source" {
	f=$(topo <<'YAML'
kernels:
  a: {kernel: identity}
edges:
  - {from: stdin, to: a}
  - {from: a, to: b}
  - {from: c, to: stdout}
  - {from: stdout, to: a}
YAML
)
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[[ "$stderr" == *"$f:5:19: edge to nowhere: no kernel 'b'"* ]]
	[[ "$stderr" == *"$f:6:12: edge from nowhere: no kernel 'c'"* ]]
	[[ "$stderr" == *"$f:7:12: stdout cannot feed anything"* ]]
}

@test "a cycle is refused at the edge that closes it" {
	f=$(topo <<'YAML'
kernels:
  a: {kernel: identity}
  b: {kernel: identity}
edges:
  - {from: stdin, to: a}
  - {from: a, to: b}
  - {from: b, to: a}
  - {from: b, to: stdout}
YAML
)
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[[ "$stderr" == *"$f:7:5: edge from 'b' to 'a' closes a cycle"* ]]
}

@test "kernels not reached from stdin, or leading nowhere" {
	f=$(topo <<'YAML'
kernels:
  a: {kernel: identity}
  lost: {kernel: identity}
  dead_end: {kernel: identity}
edges:
  - {from: stdin, to: a}
  - {from: a, to: stdout}
  - {from: a, to: dead_end}
YAML
)
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[[ "$stderr" == *"$f:3:3: kernel 'lost' is not reachable from stdin"* ]]
	[[ "$stderr" == *"$f:4:3: kernel 'dead_end' leads nowhere: its output never reaches stdout"* ]]
}

@test "typed messages must fit the next kernel" {
	f=$(topo <<'YAML'
kernels:
  doubler:
  scale:
pipeline: [doubler, scale]
YAML
)
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[ "$stderr" = "ringctl: $f:4:21: kernel 'doubler' emits doubler_out messages but 'scale' takes vector_x" ]
}

@test "both pipeline and edges, or neither" {
	f=$(topo <<'YAML'
kernels: {a: {kernel: identity}}
pipeline: [a]
edges: [{from: stdin, to: a}]
YAML
)
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[[ "$stderr" == *"$f:3:8: give either pipeline or edges, not both"* ]]
	f=$(topo <<'YAML'
kernels: {a: {kernel: identity}}
YAML
)
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[[ "$stderr" == *"no pipeline or edges"* ]]
}

@test "stateful kernels cannot have replicas" {
	f=$(topo <<'YAML'
kernels:
  total: {kernel: sum, replicas: 3}
pipeline: [total]
YAML
)
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[ "$stderr" = "ringctl: $f:2:34: kernel 'sum' cannot have replicas: it keeps state across messages" ]
}

@test "YAML syntax errors point at the problem" {
	f=$(topo <<'YAML'
kernels:
  a: {kernel: identity
pipeline: [a]
YAML
)
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[[ "$stderr" == "ringctl: $f:3:"* ]]
}

@test "a deeply nested or huge file is refused cleanly" {
	f="$BATS_TEST_TMPDIR/deep.yaml"
	{ printf 'kernels: '; for _ in $(seq 100); do printf '['; done; for _ in $(seq 100); do printf ']'; done; echo; } >"$f"
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[[ "$stderr" == *"nested more than 32 deep"* ]]
	f="$BATS_TEST_TMPDIR/huge.yaml"
	head -c 2000000 /dev/zero | tr '\0' '#' >"$f"
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[[ "$stderr" == *"over 1048576 bytes"* ]]
}

@test "a file of aliases that expands past any memory is refused (billion laughs)" {
	# 3000 kernels share one alias of 100 parameters of 1000 bytes:
	# 70 KB of file, 300 MB once expanded.  It took 780 MB and 2 s.
	f="$BATS_TEST_TMPDIR/bomb.yaml"
	{
		printf 'common: &p {'
		for i in $(seq 100); do printf 'p%d: "%s", ' "$i" "$(head -c 1000 /dev/zero | tr '\0' x)"; done
		printf 'end: 1}\nkernels:\n'
		for i in $(seq 3000); do printf '  k%d: {kernel: identity, params: *p}\n' "$i"; done
		printf 'pipeline: [k1]\n'
	} >"$f"
	# Under a 300 MB address space where the build allows one (not
	# AddressSanitizer's, which maps terabytes of shadow).
	limit="ulimit -v 300000;"
	bash -c "$limit '$RINGCTL' --version" >/dev/null 2>&1 || limit=
	run --separate-stderr bash -c "$limit '$RINGCTL' validate '$f'"
	assert_failure 78
	[[ "$stderr" == *"the file expands past 16 MiB through its aliases"* ]]
}

@test "a second YAML document is refused where it starts" {
	# Only the first was read: the rest of the file was ignored.
	f=$(topo <<'YAML'
kernels:
  a: {kernel: identity}
pipeline: [a]
---
kernels:
  b: {kernel: nosuch}
pipeline: [b]
YAML
)
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[ "$stderr" = "ringctl: $f:4:1: a second YAML document: a topology is one document" ]
	f=$(topo <<'YAML'
kernels: {a: {kernel: identity}}
pipeline: [a]
...
--- {pipeline: [a, a]}
YAML
)
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[ "$stderr" = "ringctl: $f:4:1: a second YAML document: a topology is one document" ]
	# One document, marked at both ends, is fine.
	f=$(topo <<'YAML'
---
kernels: {a: {kernel: identity}}
pipeline: [a]
...
YAML
)
	run --separate-stderr ringctl validate "$f"
	assert_success
}

@test "YAML tags are refused, on any node" {
	f=$(topo <<'YAML'
kernels: !!map
  a: !!python/object:os.system {kernel: identity}
  b: {kernel: !custom identity, queue_size: !!int 8}
pipeline: !!seq [a, b]
YAML
)
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[[ "$stderr" == *"$f:1:10: a YAML tag (!!map) is not allowed"* ]]
	[[ "$stderr" == *"$f:2:6: a YAML tag (!!python/object:os.system) is not allowed"* ]]
	[[ "$stderr" == *"$f:3:15: a YAML tag (!custom) is not allowed"* ]]
	[[ "$stderr" == *"$f:3:45: a YAML tag (!!int) is not allowed"* ]]
	[[ "$stderr" == *"$f:4:11: a YAML tag (!!seq) is not allowed"* ]]
}

@test "NULs and control characters in ids are refused, shown escaped" {
	f=$(topo <<'YAML'
kernels:
  "a\0b": {kernel: identity}
  "c\td": {kernel: identity}
  e: {kernel: "identity\e]0;owned\a"}
pipeline: [a, "c\td", "e\x7f"]
YAML
)
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[[ "$stderr" == *"$f:2:3: 'a\\0b' holds a NUL character"* ]]
	f=$(topo <<'YAML'
kernels:
  "c\td": {kernel: identity}
  e: {kernel: "identity\e]0;owned\a"}
pipeline: ["c\td", e]
YAML
)
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[[ "$stderr" == *"$f:2:3: kernel id 'c\\td' holds a control character"* ]]
	[[ "$stderr" == *"$f:3:15: kernel 'identity\\x1b]0;owned\\x07' holds a control character"* ]]
	[[ "$stderr" == *"$f:4:12: kernel id 'c\\td' holds a control character"* ]]
	# Nothing raw reaches the terminal.
	[[ "$stderr" != *$'\e'* && "$stderr" != *$'\t'* && "$stderr" != *$'\a'* ]]
}

@test "a missing file is a configuration error" {
	run --separate-stderr ringctl validate /nonexistent/t.yaml
	assert_failure 78
	[[ "$stderr" == *"/nonexistent/t.yaml: No such file or directory"* ]]
}

@test "anchors and aliases work" {
	f=$(topo <<'YAML'
kernels:
  one: &k {kernel: identity, queue_size: 8}
  two: *k
pipeline: [one, two]
YAML
)
	run --separate-stderr ringctl validate "$f"
	assert_success
}

# big N: a topology of N identity kernels in a chain, as edges; each
# extra argument is one more line under edges.
big() {
	local n=$1 i
	shift
	{
		echo "kernels:"
		for ((i = 1; i <= n; i++)); do echo "  k$i: {kernel: identity}"; done
		echo "edges:"
		echo "  - {from: stdin, to: k1}"
		for ((i = 1; i < n; i++)); do echo "  - {from: k$i, to: k$((i + 1))}"; done
		echo "  - {from: k$n, to: stdout}"
		for line in "$@"; do echo "  $line"; done
	} >"$BATS_TEST_TMPDIR/big.yaml"
	echo "$BATS_TEST_TMPDIR/big.yaml"
}

@test "checks are linear: 5000 kernels validate at once, a cycle is found" {
	# Every kernel compared with every edge once took minutes for 2000;
	# the limit here is far above what it takes.
	f=$(big 5000)
	run --separate-stderr timeout 60 "$RINGCTL" validate "$f"
	assert_success
	f=$(big 5000 "- {from: k5000, to: k2}")
	run --separate-stderr timeout 60 "$RINGCTL" validate "$f"
	assert_failure 78
	[[ "$stderr" == *"$f:10004:5: edge from 'k5000' to 'k2' closes a cycle"* ]]
	f=$(big 5000 "- {from: k3, to: k4}")
	run --separate-stderr timeout 60 "$RINGCTL" validate "$f"
	assert_failure 78
	[[ "$stderr" == *"$f:10004:5: edge from 'k3' to 'k4' is given twice"* ]]
}

@test "checks are linear: a kernel given twice among 5000, wide fan-in" {
	f="$BATS_TEST_TMPDIR/wide.yaml"
	{
		echo "kernels:"
		for ((i = 1; i <= 5000; i++)); do echo "  k$i: {kernel: identity}"; done
		echo "  k17: {kernel: identity}"
		echo "edges:"
		for ((i = 1; i <= 5000; i++)); do
			echo "  - {from: stdin, to: k$i}"
			echo "  - {from: k$i, to: stdout}"
		done
	} >"$f"
	run --separate-stderr timeout 60 "$RINGCTL" validate "$f"
	assert_failure 78
	[[ "$stderr" == *"$f:5002:3: 'k17' is given twice (first at line 18)"* ]]
}

@test "a replicated kernel's queue cannot drop, and only one kernel feeds it" {
	# Replicas take turns; a message dropped in one, or a second
	# producer dealing on its own turns, loses the order.
	f="$BATS_TEST_TMPDIR/replicas.yaml"
	cat >"$f" <<'YAML'
kernels:
  a: {kernel: identity}
  b: {kernel: identity}
  d: {kernel: doubler, replicas: 2, backpressure: drop_newest}
edges:
  - {from: stdin, to: a}
  - {from: stdin, to: b}
  - {from: a, to: d}
  - {from: b, to: d}
  - {from: d, to: stdout}
YAML
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[[ "$stderr" == *"$f:4:"*": kernel 'd' has replicas, which keep the order of their input: its queue cannot drop messages (backpressure drop_newest); use block or reject"* ]]
	sed -i 's/, backpressure: drop_newest//' "$f"
	run --separate-stderr ringctl validate "$f"
	assert_failure 78
	[[ "$stderr" == *"$f:9:"*": kernel 'd' has replicas, which keep the order of one input only, and 'a' feeds it already: put a kernel in front of it that takes both"* ]]
	sed -i 's/from: b, to: d/from: b, to: stdout/' "$f"
	run --separate-stderr ringctl validate "$f"
	assert_success
}

@test "validate --format dot draws the topology, and dot accepts it" {
	run --separate-stderr "$RINGCTL" validate --format dot "$top_srcdir/examples/topologies/fan-out.yaml"
	assert_success
	assert_line --index 0 --regexp '^digraph "[^"]+" \{$'
	assert_output --partial '"stdin" -> "doubler" [label="block"];'
	assert_output --partial '[shape=box, label='
	assert_output --regexp 'label="block"'
	printf 'backend: cuda\nkernels:\n  a: {kernel: doubler, replicas: 2}\n  b: {kernel: identity, backpressure: drop_oldest}\npipeline: [a, b]\n' >"$BATS_TEST_TMPDIR/g.yaml"
	run --separate-stderr "$RINGCTL" validate --format=dot "$BATS_TEST_TMPDIR/g.yaml"
	assert_success
	assert_output --partial '"a" [shape=box, label="a\ndoubler, cuda, 2 replicas"];'
	assert_output --partial '"a" -> "b" [label="drop_oldest, device link", style=bold];'
	assert_output --partial '"b" [shape=box, label="b\nidentity, cuda"];'
	command -v dot >/dev/null || skip "no dot (Debian's graphviz) to check the graph"
	for f in "$top_srcdir"/examples/topologies/*.yaml "$BATS_TEST_TMPDIR/g.yaml"; do
		run bash -c "'$RINGCTL' validate --format dot '$f' | dot -Tsvg >/dev/null"
		assert_success
	done
}

@test "ringctl(1)'s dot example is what validate prints" {
	command -v groff >/dev/null || skip "no groff to render the page"
	groff -mandoc -Tutf8 "$top_srcdir/man/ringctl.1" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' |
		sed -n '/^ *digraph "double-then-sum"/,/^ *}$/p' | sed 's/^ \{1,\}\(.\)/\1/' >"$BATS_TEST_TMPDIR/page"
	[ -s "$BATS_TEST_TMPDIR/page" ]
	"$RINGCTL" validate --format dot "$top_srcdir/examples/topologies/double-then-sum.yaml" |
		sed 's/^ \{1,\}\(.\)/\1/' >"$BATS_TEST_TMPDIR/printed"
	diff "$BATS_TEST_TMPDIR/page" "$BATS_TEST_TMPDIR/printed"
}
