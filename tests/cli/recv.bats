#!/usr/bin/env bats
# recv.bats - `ringctl recv`: replies in order, counted, timed, followed.

load common
setup() { server_setup; active doubler; }
teardown() { server_teardown; }

@test "recv takes one reply by default, -n COUNT more" {
	values 5 | ringctl send doubler
	run ringctl recv doubler
	assert_output '{"result":2}'
	run ringctl recv doubler -n 3
	assert_output '{"result":4}
{"result":6}
{"result":8}'
}

@test "no reply within --timeout: 6" {
	run --separate-stderr ringctl recv doubler --timeout 0.25
	assert_failure 6
	[ "$stderr" = "ringctl: no message from kernel 'doubler' within 0.25 s (0 received)" ]
}

@test "--follow prints until the output ends" {
	active total -k window -p size=2
	values 5 | ringctl send total --end
	run ringctl recv total --follow --timeout 5
	assert_success
	assert_output '{"count":2,"sum":3,"mean":1.5,"min":1,"max":2}
{"count":2,"sum":7,"mean":3.5,"min":3,"max":4}
{"count":1,"sum":5,"mean":5,"min":5,"max":5}'
}

@test "--envelope shows the correlation id" {
	values 1 | ringctl send doubler
	run ringctl recv doubler --envelope
	assert_output --regexp '^\{"message_id":[0-9]+,"correlation_id":[1-9][0-9]*,"priority":128,"enqueue_ns":[0-9]+,"message":\{"result":2\}\}$'
}

@test "recv | head -1 ends quietly" {
	values 50 | ringctl send doubler
	run --separate-stderr bash -c "'$RINGCTL' recv doubler -n 50 | head -1; echo \"status \${PIPESTATUS[0]}\""
	assert_output '{"result":2}
status 0'
	[ -z "$stderr" ]
}

# The doubler's replies still queued (read now) plus those it counted
# as dropped.
unread_or_dropped() {
	local rest dropped
	rest=$("$RINGCTL" recv doubler -n 100000 --timeout 0.5 2>/dev/null | wc -l)
	dropped=$("$RINGCTL" stats doubler --format json \
		  | sed 's/.*"messages_dropped":\([0-9]*\).*/\1/')
	echo $((rest + dropped))
}

@test "recv into a full disk: every reply taken is counted as dropped" {
	values 500 | ringctl send doubler
	run bash -c "'$RINGCTL' recv doubler -n 500 >/dev/full"
	assert_failure
	run unread_or_dropped
	assert_output 500
	run ringctl stats doubler --format json
	assert_output --regexp '"last_error":"[0-9]+ repl(y|ies) taken but not delivered: the reader of recv went away"'
}

@test "recv | head: what the reader did not read is still queued or counted" {
	# What sat in the pipe when the reader left counts as lost too;
	# before, every reply recv took was gone, none counted.
	values 500 | ringctl send doubler
	run bash -c "'$RINGCTL' recv doubler -n 500 | { IFS= read -r l; echo \"\$l\"; }"
	assert_output '{"result":2}'
	run unread_or_dropped
	assert_output 499
}

@test "recv --follow | head: the same, also while no reply comes" {
	values 500 | ringctl send doubler
	run bash -c "'$RINGCTL' recv doubler --follow | { IFS= read -r l; echo \"\$l\"; }"
	assert_output '{"result":2}'
	run unread_or_dropped
	assert_output 499
}

@test "recv waits until its reader has read all it took" {
	values 3 | ringctl send doubler
	run bash -c "'$RINGCTL' recv doubler -n 3 | { sleep 0.5; cat; }"
	assert_output '{"result":2}
{"result":4}
{"result":6}'
	run unread_or_dropped
	assert_output 0
}

@test "a million messages through send, doubler and recv, none lost" {
	run bash -c "seq 1 1000000 | sed 's/.*/{\"value\":&}/' | '$RINGCTL' send doubler & '$RINGCTL' recv doubler -n 1000000 --timeout 30 | awk -F'[:}]' '\$2 != 2 * NR { print \"bad at \" NR; exit 1 } END { print NR }'; wait"
	assert_success
	assert_output 1000000
}

@test "usage errors" {
	run --separate-stderr ringctl recv
	assert_failure 2
	run --separate-stderr ringctl recv doubler -n 0
	assert_failure 2
	run --separate-stderr ringctl recv ghost
	assert_failure 3
}
