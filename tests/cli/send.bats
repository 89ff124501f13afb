#!/usr/bin/env bats
# send.bats - `ringctl send`: JSON lines into a kernel, from standard
# input or files, with every failure named and counted.

load common
setup() { server_setup; active doubler; }
teardown() { server_teardown; }

@test "send from standard input, recv gets them in order" {
	run ringctl send doubler < <(values 3)
	assert_success
	assert_output ''
	run ringctl recv doubler -n 3
	assert_output '{"result":2}
{"result":4}
{"result":6}'
}

@test "send files, in order, and - for standard input" {
	values 2 >"$BATS_TEST_TMPDIR/a.jsonl"
	printf '{"value":10}' >"$BATS_TEST_TMPDIR/b.jsonl"     # no newline
	run bash -c "echo '{\"value\":5}' | '$RINGCTL' send doubler '$BATS_TEST_TMPDIR/a.jsonl' - '$BATS_TEST_TMPDIR/b.jsonl'"
	assert_success
	run ringctl recv doubler -n 4
	assert_output '{"result":2}
{"result":4}
{"result":10}
{"result":20}'
}

@test "a relative file is the client's" {
	cd "$BATS_TEST_TMPDIR"
	values 1 >rel.jsonl
	run ringctl send doubler rel.jsonl
	assert_success
	run ringctl recv doubler
	assert_output '{"result":2}'
}

@test "a bad line: 65, FILE:LINE named, the lines before it delivered, nothing after" {
	printf '{"value":1}\n{"value":2}\n{"valu":3}\n{"value":4}\n' >"$BATS_TEST_TMPDIR/in.jsonl"
	run --separate-stderr ringctl send doubler "$BATS_TEST_TMPDIR/in.jsonl"
	assert_failure 65
	[ "$stderr" = "ringctl: $BATS_TEST_TMPDIR/in.jsonl:3: unknown field 'valu' (2 messages sent before it)" ]
	run ringctl recv doubler -n 2
	assert_output '{"result":2}
{"result":4}'
	run --separate-stderr ringctl recv doubler --timeout 0.3
	assert_failure 6
}

@test "a bad line on standard input is <stdin>:LINE" {
	run --separate-stderr bash -c "printf '{\"value\":1}\nnope\n' | '$RINGCTL' send doubler"
	assert_failure 65
	[[ "$stderr" == "ringctl: <stdin>:2: invalid JSON"*"(1 message sent before it)" ]]
}

@test "--on-error=skip counts bad lines and goes on" {
	run --separate-stderr bash -c "printf '{\"value\":1}\nnope\n{\"value\":3}\n' | '$RINGCTL' send doubler --on-error=skip"
	assert_success
	[[ "$stderr" == "ringctl: warning: skipped 1 bad line, the last: <stdin>:2: "* ]]
	run ringctl recv doubler -n 2
	assert_output '{"result":2}
{"result":6}'
}

@test "queue full past --timeout: 5, and the accepted messages still arrive" {
	ringctl launch small -k doubler --queue-size 4
	ringctl activate small
	ringctl deactivate small
	run --separate-stderr bash -c "values 10 | '$RINGCTL' send small --timeout 0.2"
	assert_failure 5
	[ "$stderr" = "ringctl: queue of kernel 'small' is full (4 messages) (4 messages sent)" ]
	ringctl reactivate small
	run ringctl recv small -n 4 --timeout 5
	assert_output '{"result":2}
{"result":4}
{"result":6}
{"result":8}'
}

@test "a missing file: exit 1 naming it" {
	run --separate-stderr ringctl send doubler /nonexistent.jsonl
	assert_failure 1
	[[ "$stderr" == "ringctl: /nonexistent.jsonl: No such file or directory"* ]]
}

@test "--end ends the kernel's input: a sum reports" {
	active total -k sum
	run ringctl send total --end < <(values 10)
	assert_success
	run ringctl recv total --follow --timeout 5
	assert_success
	assert_output '{"count":10,"sum":55}'
}

@test "usage errors" {
	run --separate-stderr ringctl send
	assert_failure 2
	run --separate-stderr ringctl send doubler --timeout -1
	assert_failure 2
	run --separate-stderr ringctl send ghost </dev/null
	assert_failure 3
}

@test "a line over the kernel's message limit: FILE:LINE, and skip goes on" {
	# Under --max-line but over the kernel's queue slots: once the whole
	# batch was refused, naming no line, and skip stopped all the same.
	active i -k identity --max-message 100
	long=$(printf '{"v":"%0200d"}' 0)
	printf '{"v":1}\n%s\n{"v":3}\n' "$long" >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr bash -c "'$RINGCTL' send i <'$BATS_TEST_TMPDIR/in'"
	assert_failure 65
	[ "$stderr" = "ringctl: <stdin>:2: a message of 208 bytes is over kernel 'i''s limit of 100 (launch --max-message) (1 message sent before it)" ]
	run --separate-stderr ringctl recv i -n 2 --timeout 0.5
	assert_failure 6
	assert_output '{"v":1}'
	run --separate-stderr bash -c "'$RINGCTL' send i --on-error=skip '$BATS_TEST_TMPDIR/in'"
	assert_success
	[[ "$stderr" == "ringctl: warning: skipped 1 bad line, the last: $BATS_TEST_TMPDIR/in:2: a message of 208 bytes"* ]]
	run ringctl recv i -n 2 --timeout 1
	assert_success
	assert_output '{"v":1}
{"v":3}'
}

@test "send --unknown-fields=ignore passes over fields the kernel lacks" {
	active d -k doubler
	run --separate-stderr bash -c "echo '{\"value\":2,\"id\":\"x\"}' | '$RINGCTL' send d"
	assert_failure 65
	echo '{"value":2,"id":"x"}' | ringctl send --unknown-fields ignore d
	run ringctl recv d --timeout 5
	assert_output '{"result":4}'
}
