#!/usr/bin/env bats
# topology.bats - `ringctl run FILE.yaml`: pipelines, fan-out, fan-in
# and replicas, every message counted, order kept where promised,
# memory bounded.

load common

EX=$top_srcdir/examples/topologies

@test "double-then-sum: replicas, then a sum every 1000" {
	run bash -c "values 2500 | '$RINGCTL' run '$EX/double-then-sum.yaml'"
	assert_success
	assert_output '{"count":1000,"sum":1001000}
{"count":2000,"sum":4002000}
{"count":2500,"sum":6252500}'
}

@test "fan-out: every line to both kernels" {
	run bash -c "values 1000 | '$RINGCTL' run '$EX/fan-out.yaml' | sort | uniq -c | awk '{ n += \$1 } END { print n }'"
	assert_success
	assert_output 1001
	run bash -c "values 1000 | '$RINGCTL' run '$EX/fan-out.yaml' | grep -c result"
	assert_output 1000
	run bash -c "values 1000 | '$RINGCTL' run '$EX/fan-out.yaml' | grep count"
	assert_output '{"count":1000,"sum":500500}'
}

@test "fan-out keeps each stream in order" {
	run bash -c "values 50000 | '$RINGCTL' run '$EX/fan-out.yaml' | grep result | awk -F'[:}]' '\$2 != 2 * NR { print \"out of order at \" NR; exit 1 } END { print NR }'"
	assert_success
	assert_output 50000
}

@test "fan-in: two filters meet again, nothing lost or doubled" {
	run bash -c "values 100 | '$RINGCTL' run '$EX/fan-in.yaml'"
	assert_success
	assert_output '{"count":100,"sum":10100}'
}

@test "fan-in from 70 kernels: every input's end counts, nothing lost" {
	# 63 filters that keep nothing end as soon as the input does; the 7
	# identities behind them in the sum's inputs still hold up to 1000
	# lines each, passed on one at a time.  Inputs from the 63rd up once
	# shared one 'ended' bit, so the sum ended early: about 1000 lines
	# lost in every run, exit 0.
	f="$BATS_TEST_TMPDIR/fan-in-70.yaml"
	{
		echo "queue_size: 2"
		echo "kernels:"
		for i in $(seq 63); do
			echo "  f$i: {kernel: filter, params: {field: value, op: lt, value: -1}}"
		done
		for i in $(seq 7); do echo "  i$i: {kernel: identity, queue_size: 1000}"; done
		echo "  total: {kernel: sum, queue_size: 1}"
		echo "edges:"
		for k in $(seq -f 'f%g' 63) $(seq -f 'i%g' 7); do
			echo "  - {from: stdin, to: $k}"
			echo "  - {from: $k, to: total}"
		done
		echo "  - {from: total, to: stdout}"
	} >"$f"
	for round in 1 2 3; do
		run bash -c "values 3000 | '$RINGCTL' run '$f'"
		assert_success
		assert_output '{"count":21000,"sum":31510500}'
	done
}

@test "replicas keep the order of the input" {
	run bash -c "values 200000 | '$RINGCTL' run '$EX/replicas.yaml' | awk -F'[:}]' '\$2 != 2 * NR { print \"out of order at \" NR; exit 1 } END { print NR }'"
	assert_success
	assert_output 200000
}

@test "replicas of a kernel that drops messages keep the order" {
	cat >"$BATS_TEST_TMPDIR/t.yaml" <<'YAML'
kernels:
  odd: {kernel: filter, replicas: 3, params: {field: value, op: ne, value: 0}}
  keep: {kernel: filter, params: {field: value, op: gt, value: 100}}
pipeline: [odd, keep]
YAML
	run bash -c "values 5000 | '$RINGCTL' run '$BATS_TEST_TMPDIR/t.yaml' | awk -F'[:}]' '\$2 != NR + 100 { print \"bad at \" NR; exit 1 } END { print NR }'"
	assert_success
	assert_output 4900
}

@test "anchors: one set of settings used twice" {
	run bash -c "values 3 | '$RINGCTL' run '$EX/anchors.yaml'"
	assert_success
	assert_output '{"value":1}
{"value":2}
{"value":3}'
}

@test "stdin straight to stdout, and to a kernel, together" {
	cat >"$BATS_TEST_TMPDIR/t.yaml" <<'YAML'
kernels:
  doubler:
edges:
  - {from: stdin, to: stdout}
  - {from: stdin, to: doubler}
  - {from: doubler, to: stdout}
YAML
	run bash -c "values 500 | '$RINGCTL' run '$BATS_TEST_TMPDIR/t.yaml' | sort | uniq | wc -l"
	assert_success
	assert_output 1000
}

@test "a bad line in a topology run is reported as in any run" {
	run --separate-stderr bash -c "printf '{\"value\":1}\n{\"value\":\"x\"}\n' | '$RINGCTL' run '$EX/double-then-sum.yaml'"
	assert_failure 65
	assert_output '{"count":1,"sum":2}'
	[[ "$stderr" == "ringctl: <stdin>:2: field 'value': expected an integer"* ]]
}

@test "--param overrides a topology's parameter" {
	run bash -c "values 4 | '$RINGCTL' run '$EX/double-then-sum.yaml' -p total.every=2"
	assert_success
	assert_output '{"count":2,"sum":6}
{"count":4,"sum":20}'
}

@test "a problem in the file exits 78 before anything runs" {
	echo 'kernels: {a: {kernel: nosuch}}
pipeline: [a]' >"$BATS_TEST_TMPDIR/t.yaml"
	run --separate-stderr bash -c "echo 1 | '$RINGCTL' run '$BATS_TEST_TMPDIR/t.yaml'"
	assert_failure 78
	[[ "$stderr" == *"t.yaml:1:23: kernel 'nosuch' not found" ]]
	[ -z "$output" ]
}

@test "a slow kernel holds back the reading: memory stays bounded" {
	command -v /usr/bin/time >/dev/null || skip "no /usr/bin/time"
	# 3 M lines (about 60 MB) through small queues: resident memory
	# must stay far below the size of the input.
	run bash -c "seq 1 3000000 | sed 's/.*/{\"value\":&}/' | /usr/bin/time -f '%M' '$RINGCTL' run --queue-size 64 'doubler | identity | sum' 2>&1 >/dev/null"
	assert_success
	[ "$output" -lt 60000 ] || { echo "max RSS $output kB"; return 1; }
}

@test "every topology in ringctl-topology(5) is valid and runs" {
	awk -v dir="$BATS_TEST_TMPDIR" '
		/^\.Bd -literal/ { n++; inside = 1; file = dir "/man" n ".yaml"; next }
		/^\.Ed/ { inside = 0; next }
		inside { print > file }
	' "$top_srcdir/man/ringctl-topology.5"
	count=0
	for f in "$BATS_TEST_TMPDIR"/man*.yaml; do
		run --separate-stderr ringctl validate "$f"
		[ "$status" -eq 0 ] || { echo "$f: $stderr"; cat "$f"; return 1; }
		run bash -c "values 200 | '$RINGCTL' run '$f' | wc -l"
		assert_success
		[ "$output" -gt 0 ]
		count=$((count + 1))
	done
	[ "$count" -ge 3 ]
}

@test "the README's topology is valid" {
	awk '/^    kernels:/ { inside = 1 } inside && /^$/ { exit } inside { sub(/^    /, ""); print }' \
		"$top_srcdir/README" >"$BATS_TEST_TMPDIR/readme.yaml"
	grep -q pipeline "$BATS_TEST_TMPDIR/readme.yaml"
	run --separate-stderr ringctl validate "$BATS_TEST_TMPDIR/readme.yaml"
	assert_success
}

@test "a plugin named by a relative file is the topology file's, wherever ringctl runs" {
	mkdir -p "$BATS_TEST_TMPDIR/proj/plugins"
	cp "$RINGCTL_PLUGIN_PATH/doubler.so" "$BATS_TEST_TMPDIR/proj/plugins/mine.so"
	cat >"$BATS_TEST_TMPDIR/proj/t.yaml" <<'YAML'
kernels:
  d: {kernel: ./plugins/mine.so}
pipeline: [d]
YAML
	cd /
	run --separate-stderr "$RINGCTL" run "$BATS_TEST_TMPDIR/proj/t.yaml" <<<'{"value":4}'
	assert_success
	assert_output '{"result":8}'
	# The server runs from /: the same file, launched, finds it too.
	server_setup
	run --separate-stderr "$RINGCTL" launch -f "$BATS_TEST_TMPDIR/proj/t.yaml"
	server_teardown
	assert_success
}

@test "unknown_fields: ignore in a topology; --unknown-fields wins" {
	cat >"$BATS_TEST_TMPDIR/t.yaml" <<'YAML'
unknown_fields: ignore
kernels:
  doubler: {}
pipeline: [doubler]
YAML
	run --separate-stderr "$RINGCTL" run "$BATS_TEST_TMPDIR/t.yaml" <<<'{"value":4,"note":"x"}'
	assert_success
	assert_output '{"result":8}'
	run --separate-stderr "$RINGCTL" run --unknown-fields=refuse "$BATS_TEST_TMPDIR/t.yaml" <<<'{"value":4,"note":"x"}'
	assert_failure 65
	printf 'unknown_fields: maybe\nkernels:\n  doubler: {}\npipeline: [doubler]\n' >"$BATS_TEST_TMPDIR/u.yaml"
	run --separate-stderr "$RINGCTL" validate "$BATS_TEST_TMPDIR/u.yaml"
	assert_failure 78
	[[ "$stderr" == *"u.yaml:1:"*"unknown_fields"* ]]
}
