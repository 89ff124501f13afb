#!/usr/bin/env bats
# kernels.bats - `ringctl kernels`, and every kernel that comes with
# ringctl, through `ringctl run`.

load common

@test "kernels lists every kernel with its plugin" {
	run --separate-stderr ringctl kernels
	assert_success
	for k in doubler identity scale saxpy vector-histogram filter sum window histogram; do
		assert_line --regexp "^$k +[a-z]+\.so "
	done
	[ -z "$stderr" ]
}

# The width of the name and plugin columns in `ringctl ARGS... kernels`,
# read where kernel $1's description ($2) starts.
columns_before() {
	local line head
	line=$(env -u COLUMNS "$RINGCTL" "${@:3}" kernels | grep "^$1 ")
	head=${line%%"$2"*}
	echo "${#head}"
}

# Every line of $output is at most $1 characters (UTF-8).
fits() {
	python3 -c 'import sys
for line in sys.stdin.buffer.read().decode().splitlines():
    assert len(line) <= int(sys.argv[1]), "over %s: %s" % (sys.argv[1], line)' "$1" <<<"$output"
}

@test "kernels fits its lines to COLUMNS and marks a cut description" {
	prefix=$(columns_before window "count, sum")
	# window's description is 51 characters: cut, with a mark.
	for room in 48 30 22; do
		COLUMNS=$((prefix + room)) run ringctl kernels
		assert_success
		fits $((prefix + room))
		assert_line --regexp '^window +aggregate\.so +count, sum, .*\.\.\.$'
	done
	COLUMNS=$((prefix + 51)) run ringctl kernels
	assert_line --regexp '^window +aggregate\.so +count, sum, mean, min, max per window of N messages$'
}

@test "kernels into a pipe cuts nothing" {
	run env -u COLUMNS "$RINGCTL" kernels
	assert_success
	assert_line --regexp '^window +aggregate\.so +count, sum, mean, min, max per window of N messages$'
	refute_line --regexp '\.\.\.$'
}

@test "kernels cuts a UTF-8 description between characters" {
	dir="$BATS_TEST_TMPDIR/plugins"
	mkdir -p "$dir"
	cp "$TEST_PLUGINS/two-kernels.so" "$dir/"
	prefix=$(columns_before first "passes each" --plugin-path "$dir")
	# Its description is 61 characters, of one, two and three bytes.
	for room in $(seq 20 60); do
		COLUMNS=$((prefix + room)) run ringctl --plugin-path "$dir" kernels
		assert_success
		assert_line --regexp '^first +two-kernels\.so +passes each .*\.\.\.$'
		iconv -f UTF-8 -t UTF-8 <<<"$output" >/dev/null ||
			{ echo "COLUMNS=$((prefix + room)): not UTF-8: $output"; return 1; }
		fits $((prefix + room))
	done
}

@test "kernels --json gives one object per kernel" {
	run ringctl kernels --json
	assert_success
	assert_line --regexp '^\{"name":"doubler","plugin":"[^"]*/doubler\.so",.*"input":"\{\\"value\\": int64\}","output":"\{\\"result\\": int64\}"\}$'
	[ "$(printf '%s\n' "$output" | wc -l)" -ge 8 ]
	if command -v jq >/dev/null; then
		run jq -r 'select(.name == "saxpy") | .output' <<<"$output"
		assert_output '{"y": [float32; <=1024]}'
	fi
}

@test "kernels warns about a broken plugin and lists the rest" {
	dir="$BATS_TEST_TMPDIR/plugins"
	mkdir -p "$dir"
	echo junk >"$dir/junk.so"
	run --separate-stderr ringctl --plugin-path "$dir" kernels
	assert_success
	assert_line --regexp '^doubler '
	[[ "$stderr" == "ringctl: warning: "*"junk.so"* ]]
}

@test "identity passes any JSON value unchanged" {
	input='{"a":[1,2,{"b":null}],"c":"\u00e9\n"}
[true,false]
"text"
-1.5e300
   {"spaced" : 1}   '
	run bash -c "printf '%s\n' '$input' | '$RINGCTL' run identity"
	assert_success
	assert_line --index 0 '{"a":[1,2,{"b":null}],"c":"\u00e9\n"}'
	assert_line --index 1 '[true,false]'
	assert_line --index 2 '"text"'
	assert_line --index 3 '-1.5e300'
	assert_line --index 4 '{"spaced" : 1}'
}

@test "identity refuses invalid JSON and invalid UTF-8" {
	run --separate-stderr bash -c "printf '{\"a\":1}\n{\"a\":}\n' | '$RINGCTL' run identity"
	assert_failure 65
	assert_output '{"a":1}'
	[[ "$stderr" == "ringctl: <stdin>:2: "* ]]
	run --separate-stderr bash -c "printf '\"\\xff\"\n' | '$RINGCTL' run identity"
	assert_failure 65
	[[ "$stderr" == "ringctl: <stdin>:1: invalid UTF-8"* ]]
}

@test "scale multiplies a float32 vector" {
	run bash -c "echo '{\"x\":[1,2.5,-3]}' | '$RINGCTL' run scale --param factor=2"
	assert_success
	assert_output '{"x":[2,5,-6]}'
}

@test "saxpy computes a*x + y, and refuses unequal lengths" {
	run bash -c "echo '{\"x\":[1,2],\"y\":[10,20]}' | '$RINGCTL' run saxpy -p a=3"
	assert_success
	assert_output '{"y":[13,26]}'
	run --separate-stderr bash -c "echo '{\"x\":[1],\"y\":[1,2]}' | '$RINGCTL' run saxpy"
	assert_failure 1
	[ "$stderr" = "ringctl: saxpy: message 1: x has 1 elements and y 2" ]
}

@test "filter keeps the objects whose field compares" {
	input='{"t":1,"name":"a"}
{"t":5,"name":"b"}
{"name":"c"}
{"t":9,"name":"d"}'
	run bash -c "printf '%s\n' '$input' | '$RINGCTL' run filter -p field=t -p op=ge -p value=5"
	assert_success
	assert_output '{"t":5,"name":"b"}
{"t":9,"name":"d"}'
	run bash -c "printf '%s\n' '$input' | '$RINGCTL' run filter -p field=name -p value=c"
	assert_success
	assert_output '{"name":"c"}'
}

@test "filter needs its parameters, and a known op" {
	run --separate-stderr bash -c "echo '{}' | '$RINGCTL' run filter"
	assert_failure 78
	[ "$stderr" = "ringctl: kernel 'filter' needs parameter 'field'" ]
	run --separate-stderr bash -c "echo '{}' | '$RINGCTL' run filter -p field=a -p value=1 -p op=about"
	assert_failure 1
	[[ "$stderr" == *"op must be eq, ne, lt, le, gt or ge, not 'about'" ]]
}

@test "sum adds integers exactly and floats as floats" {
	run bash -c "printf '{\"v\":9007199254740993}\n{\"v\":1}\n' | '$RINGCTL' run sum"
	assert_success
	assert_output '{"count":2,"sum":9007199254740994}'
	run bash -c "printf '{\"v\":0.5}\n{\"v\":1}\n' | '$RINGCTL' run sum"
	assert_success
	assert_output '{"count":2,"sum":1.5}'
}

@test "sum of a named field; a message without it fails" {
	run --separate-stderr bash -c "printf '{\"a\":1,\"b\":10}\n{\"b\":20}\n{\"a\":3}\n' | '$RINGCTL' run --on-error=skip sum -p field=b"
	assert_success
	assert_output '{"count":2,"sum":30}'
	[[ "$stderr" == *"sum: message 3: no number in field 'b'" ]]
}

@test "a number beyond a double is bad data, not 0; one below it is 0" {
	run --separate-stderr bash -c "printf '{\"value\":1}\n{\"value\":1e400}\n{\"value\":2}\n' | '$RINGCTL' run sum"
	assert_failure 1
	[[ "$stderr" == *"sum: message 2: 1e400 is out of the range of a double"* ]]
	run --separate-stderr bash -c "printf '{\"value\":-1e400}\n{\"value\":2}\n' | '$RINGCTL' run --on-error=skip sum"
	assert_success
	assert_output '{"count":1,"sum":2}'
	[[ "$stderr" == *"sum: message 1: -1e400 is out of the range of a double"* ]]
	run --separate-stderr bash -c "echo '{\"temp\":1e400}' | '$RINGCTL' run filter -p field=temp -p op=lt -p value=30"
	assert_failure 1
	[[ "$stderr" == *"filter: message 1: 1e400 is out of the range of a double"* ]]
	assert_output ''
	run --separate-stderr bash -c "echo '{\"value\":1e999}' | '$RINGCTL' run histogram -p min=0 -p max=10"
	assert_failure 1
	[[ "$stderr" == *"histogram: message 1: 1e999 is out of the range of a double"* ]]
	run --separate-stderr bash -c "echo '{\"value\":0.000000000000000000000000000000000000000000000000001e-400}' | '$RINGCTL' run sum"
	assert_success
	assert_output '{"count":1,"sum":0}'
}

@test "window reports each window and the last partial one" {
	run bash -c "values 5 | '$RINGCTL' run window -p size=2"
	assert_success
	assert_output '{"count":2,"sum":3,"mean":1.5,"min":1,"max":2}
{"count":2,"sum":7,"mean":3.5,"min":3,"max":4}
{"count":1,"sum":5,"mean":5,"min":5,"max":5}'
}

@test "vector-histogram counts each vector; buckets past 256 refused" {
	run bash -c "printf '{\"x\":[-1,0.1,0.15,0.9,2]}\n{\"x\":[]}\n' | '$RINGCTL' run vector-histogram -p buckets=4"
	assert_success
	assert_output '{"buckets":[2,0,0,1],"underflow":1,"overflow":1}
{"buckets":[0,0,0,0],"underflow":0,"overflow":0}'
	run --separate-stderr bash -c "echo '{\"x\":[1]}' | '$RINGCTL' run vector-histogram -p buckets=257"
	assert_failure 1
	[[ $stderr == *"buckets must be in 1..256, not 257"* ]]
}

@test "histogram counts in buckets, with underflow and overflow" {
	run bash -c "printf '{\"v\":-1}\n{\"v\":0.1}\n{\"v\":0.15}\n{\"v\":0.9}\n{\"v\":2}\n' | '$RINGCTL' run histogram -p buckets=4"
	assert_success
	assert_output '{"count":5,"min":0,"max":1,"underflow":1,"overflow":1,"buckets":[2,0,0,1]}'
}

@test "typed into json: doubler | filter sees the JSON object" {
	run bash -c "values 4 | '$RINGCTL' run 'doubler | filter' -p filter.field=result -p filter.op=gt -p filter.value=4"
	assert_success
	assert_output '{"result":6}
{"result":8}'
}
