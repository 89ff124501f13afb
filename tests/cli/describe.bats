#!/usr/bin/env bats
# describe.bats - `ringctl describe KERNEL`.

load common

@test "describe shows the types and the plugin" {
	run --separate-stderr ringctl describe doubler
	assert_success
	assert_line 'kernel:      doubler'
	assert_line --regexp '^plugin:      .*/doubler\.so$'
	assert_line 'input:       {"value": int64}'
	assert_line 'output:      {"result": int64}'
	assert_line 'backends:    cpu, cuda (doubler-cuda.so)'
	[ -z "$stderr" ]
}

@test "describe says which kernels have no GPU form" {
	run ringctl describe identity
	assert_line 'backends:    cpu'
}

@test "describe lists parameters with their defaults" {
	run ringctl describe sum
	assert_success
	assert_line 'input:       json (any JSON value)'
	assert_line --regexp '^  every +int +0 +also report'
	assert_line --partial 'flush at end of input'
}

@test "describe shows variable arrays" {
	run ringctl describe scale
	assert_success
	assert_line 'input:       {"x": [float32; <=1024]}'
}

@test "describe of an unknown kernel is not found (3)" {
	run --separate-stderr ringctl describe nosuch
	assert_failure 3
	[ "$stderr" = "ringctl: kernel 'nosuch' not found" ]
}

@test "describe takes exactly one kernel" {
	run --separate-stderr ringctl describe
	assert_failure 2
	run --separate-stderr ringctl describe a b
	assert_failure 2
}

@test "one --format table|json, with --json its alias, wherever records are printed" {
	run ringctl describe filter --json
	assert_success
	assert_output --regexp '^\{"name":"filter","plugin":"[^"]*filter.so","description":"[^"]+","input":"json \(any JSON value\)","output":"json \(any JSON value\)","entry":"process","flush":false,"idle":false,"stop":false,"backends":\["cpu"\],"parameters":\[\{"name":"field","type":"string","default":null,'
	run ringctl describe filter --format=json
	assert_output --regexp '^\{"name":"filter",'
	run ringctl describe filter --format table
	assert_line --index 0 'kernel:      filter'
	run ringctl kernels --format json
	assert_line --index 0 --regexp '^\{"name":'
	run ringctl kernels --json --format table
	[[ "${lines[0]}" != "{"* ]]
	if command -v jq >/dev/null; then
		run bash -c "'$RINGCTL' describe sum --json | jq -r '.parameters[0].name'"
		assert_output field
	fi
	for c in describe kernels list stats; do
		run ringctl help "$c"
		assert_output --partial -- '--format F'
		assert_output --partial -- '--json'
	done
}
