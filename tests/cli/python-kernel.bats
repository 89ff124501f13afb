#!/usr/bin/env bats
# python-kernel.bats - kernels written in Python: the function form
# (`python`), the actor form (`python-actor`), and .py files on the
# plugin path, each run in a worker process under /usr/bin/python3.

load common

setup() {
	[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
	server_setup
	PY=$BATS_TEST_TMPDIR
}

teardown() {
	server_teardown
}

# A Python file $1 (under $PY) from stdin.
py_file() {
	cat >"$PY/$1"
}

# A function of zero, one or several results: none for an odd value,
# one for an even one, as many as the value says for a list.
zero_one_several() {
	py_file zos.py <<'PYEOF'
def process(msg):
    if "n" in msg:
        return [{"i": i} for i in range(msg["n"])]
    if msg["value"] % 2:
        return None
    return {"result": msg["value"] * 2}
PYEOF
}

@test "kernels and describe show python and python-actor" {
	run "$RINGCTL" kernels
	assert_success
	assert_line --regexp '^python +'
	assert_line --regexp '^python-actor +'
	run "$RINGCTL" describe python
	assert_success
	assert_output --partial 'file'
	assert_output --partial 'args'
}

@test "function form: zero, one or several results per message, in order" {
	zero_one_several
	run "$RINGCTL" run python -p file="$PY/zos.py" \
		< <(printf '%s\n' '{"value":1}' '{"value":2}' '{"n":3}' \
			'{"n":0}' '{"value":4}')
	assert_success
	assert_output "$(printf '%s\n' '{"result":4}' '{"i":0}' '{"i":1}' \
		'{"i":2}' '{"result":8}')"
}

@test "function form feeds a typed kernel downstream through the codec" {
	py_file inc.py <<'PYEOF'
def process(msg):
    return {"value": msg["value"] + 1}
PYEOF
	run "$RINGCTL" run "python | doubler" -p python.file="$PY/inc.py" \
		< <(values 3)
	assert_success
	assert_output "$(printf '%s\n' '{"result":4}' '{"result":6}' '{"result":8}')"
}

@test "args reach the function as keyword arguments, inline and in YAML" {
	py_file scale.py <<'PYEOF'
def process(msg, factor=1, label="x"):
    return {label: msg["value"] * factor}
PYEOF
	run "$RINGCTL" run python -p file="$PY/scale.py" \
		-p 'args={"factor":3,"label":"y"}' < <(values 2)
	assert_success
	assert_output "$(printf '%s\n' '{"y":3}' '{"y":6}')"
	cat >"$PY/t.yaml" <<'EOF2'
kernels:
  s: {kernel: python, params: {file: scale.py, args: '{"factor": 5}'}}
pipeline: [s]
EOF2
	run "$RINGCTL" run "$PY/t.yaml" < <(values 2)
	assert_success
	assert_output "$(printf '%s\n' '{"x":5}' '{"x":10}')"
}

@test "an exception fails its message with the traceback's last lines; the others go on" {
	py_file bad.py <<'PYEOF'
def process(msg):
    if msg["value"] == 2:
        raise ValueError("two is bad")
    return msg
PYEOF
	run "$RINGCTL" run python -p file="$PY/bad.py" < <(values 3)
	[ "$status" -eq 1 ]
	assert_output --partial 'python: message 2: ValueError: two is bad (bad.py:3 in process: raise ValueError("two is bad"))'
	run --separate-stderr "$RINGCTL" run --on-error=skip python \
		-p file="$PY/bad.py" < <(values 3)
	assert_success
	assert_output "$(printf '%s\n' '{"value":1}' '{"value":3}')"
	[[ "$stderr" == *"1 message failed"*"ValueError: two is bad"* ]]
}

@test "many messages in flight: each exception at its own message, every other result in order" {
	py_file every97.py <<'PYEOF'
def process(msg):
    if msg["value"] % 97 == 0:
        raise ValueError(f"{msg['value']} is a multiple of 97")
    return {"result": msg["value"] * 2}
PYEOF
	run --separate-stderr "$RINGCTL" run --on-error=skip python \
		-p file="$PY/every97.py" < <(values 20000)
	assert_success
	[ "$output" = "$(seq 1 20000 | awk '$1 % 97 { print "{\"result\":" $1 * 2 "}" }')" ]
	[[ "$stderr" == *"206 messages failed"* ]]
	# Failing at the first: all that came before it, said at its
	# position (the run's stop comes after it, not at once: what the
	# kernel did meanwhile may come out too, each result right).
	run --separate-stderr "$RINGCTL" run python -p file="$PY/every97.py" \
		< <(values 20000)
	[ "$status" -eq 1 ]
	expected=$(seq 1 20000 | awk '$1 % 97 { print "{\"result\":" $1 * 2 "}" }')
	[ "$(printf '%s\n' "$expected" | head -n 96)" = "$(printf '%s\n' "$output" | head -n 96)" ]
	[[ "$expected" == "$output"* ]]
	[ "$(printf '%s\n' "$stderr" | grep -m1 'message ')" = "ringctl: python: message 97: ValueError: 97 is a multiple of 97 (every97.py:3 in process: raise ValueError(f\"{msg['value']} is a multiple of 97\"))" ]
}

@test "per-batch form: process_batch gets several messages, returns one result each" {
	py_file batch.py <<'PYEOF'
def process_batch(msgs, factor):
    if any(m.get("boom") for m in msgs):
        raise RuntimeError("boom in the batch")
    return [None if m["value"] % 5 == 0 else
            [{"v": m["value"] * factor}] * (m["value"] % 2 + 1)
            for m in msgs]
PYEOF
	run --separate-stderr "$RINGCTL" run python -p file="$PY/batch.py" \
		-p 'args={"factor":3}' < <(values 3000)
	assert_success
	[ "$output" = "$(seq 1 3000 | awk '$1 % 5 { for (i = 0; i <= $1 % 2; i++) print "{\"v\":" $1 * 3 "}" }')" ]
	# The batch's exception fails each of its messages, and says so.
	run --separate-stderr "$RINGCTL" run --on-error=skip python \
		-p file="$PY/batch.py" -p 'args={"factor":3}' \
		< <(printf '%s\n' '{"value":1}' '{"value":2,"boom":1}')
	assert_success
	[[ "$stderr" == *"RuntimeError: boom in the batch"* ]]
	# A list of the wrong length is not taken as anything.
	py_file short.py <<'PYEOF'
def process_batch(msgs):
    return msgs[1:]
PYEOF
	run --separate-stderr "$RINGCTL" run python -p file="$PY/short.py" \
		< <(values 3)
	[ "$status" -eq 1 ]
	assert_output ""
	[[ "$stderr" == *"it must return a list of one result per message"* ]]
}

@test "per-batch form with replicas keeps the input order" {
	py_file twice.py <<'PYEOF'
def process_batch(msgs):
    return [{"value": m["value"]} for m in msgs]
PYEOF
	cat >"$PY/rb.yaml" <<'EOF2'
kernels:
  p: {kernel: python, replicas: 3, params: {file: twice.py}}
pipeline: [p]
EOF2
	run --separate-stderr "$RINGCTL" run "$PY/rb.yaml" < <(values 5000)
	assert_success
	[ "$output" = "$(values 5000)" ]
}

@test "a slow function: a pause is answered promptly, nothing lost or repeated" {
	py_file slow.py <<'PYEOF'
import time
def process(msg):
    time.sleep(0.02)
    return msg
PYEOF
	active slow --kernel python --param file="$PY/slow.py"
	values 200 | "$RINGCTL" send slow
	sleep 0.5
	start=$(date +%s%N)
	run "$RINGCTL" deactivate slow
	assert_success
	# In flight: two messages of 20 ms, not a batch of 64 (1.3 s).
	[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 1000 ]
	run "$RINGCTL" state slow
	assert_output DEACTIVATED
	"$RINGCTL" reactivate slow
	run "$RINGCTL" recv slow -n 200 --timeout 20
	assert_success
	assert_output "$(values 200)"
}

@test "an exception in the server: counted, last_error has the traceback, the kernel goes on" {
	py_file bad.py <<'PYEOF'
def process(msg):
    if msg["value"] == 2:
        raise KeyError("nope")
    return msg
PYEOF
	active up --kernel python --param file="$PY/bad.py"
	values 3 | "$RINGCTL" send up
	run "$RINGCTL" recv up -n 2 --timeout 5
	assert_success
	assert_output "$(printf '%s\n' '{"value":1}' '{"value":3}')"
	run "$RINGCTL" stats up --format json
	assert_success
	assert_output --partial '"errors":1'
	assert_output --partial "KeyError: 'nope'"
	run "$RINGCTL" state up
	assert_output ACTIVE
}

@test "replicas keep the input order and run in more than one worker" {
	py_file pid.py <<'PYEOF'
import os
def process(msg):
    return {"value": msg["value"], "pid": os.getpid()}
PYEOF
	cat >"$PY/r.yaml" <<'EOF2'
kernels:
  p: {kernel: python, replicas: 2, params: {file: pid.py}}
pipeline: [p]
EOF2
	run --separate-stderr "$RINGCTL" run "$PY/r.yaml" < <(values 2000)
	assert_success
	[ "$(printf '%s\n' "$output" | sed 's/,"pid".*/}/')" = "$(values 2000)" ]
	[ "$(printf '%s\n' "$output" | sed 's/.*"pid"://' | sort -u | wc -l)" -eq 2 ]
}

@test "what the function prints goes to stderr, not into the output" {
	py_file noisy.py <<'PYEOF'
def process(msg):
    print("hello from python")
    return msg
PYEOF
	run --separate-stderr "$RINGCTL" run python -p file="$PY/noisy.py" \
		< <(values 1)
	assert_success
	assert_output '{"value":1}'
	[[ "$stderr" == *"hello from python"* ]]
}

@test "a file that does not load, or has no process, fails saying why" {
	py_file syntax.py <<'PYEOF'
def process(msg)
    return msg
PYEOF
	run "$RINGCTL" run python -p file="$PY/syntax.py" < <(values 1)
	[ "$status" -eq 1 ]
	assert_output --partial "syntax.py"
	assert_output --partial "SyntaxError"
	py_file none.py <<<'x = 1'
	run "$RINGCTL" run python -p file="$PY/none.py" < <(values 1)
	[ "$status" -eq 1 ]
	assert_output --partial "none.py defines no function process(msg)"
	run "$RINGCTL" run python -p file="$PY/missing.py" < <(values 1)
	[ "$status" -eq 1 ]
	assert_output --partial "cannot read the Python file"
}

@test "a worker that dies says how, after what came before" {
	py_file die.py <<'PYEOF'
import os, sys
def process(msg):
    if msg["value"] == 3:
        sys.stderr.write("going down\n")
        sys.stderr.flush()
        os._exit(7)
    return msg
PYEOF
	run --separate-stderr "$RINGCTL" run python -p file="$PY/die.py" \
		< <(values 4)
	[ "$status" -eq 1 ]
	assert_output "$(values 2)"
	[[ "$stderr" == *"python worker ended, after 2 messages: it exited with status 7; its stderr ends: going down"* ]]
}

@test "Ctrl-C of run leaves no worker behind" {
	fifo=$BATS_TEST_TMPDIR/in
	py_file pidfile.py <<PYEOF
import os
open("$PY/pid", "w").write(str(os.getpid()))
def process(msg):
    return msg
PYEOF
	mkfifo "$fifo"
	"$RINGCTL" run python -p file="$PY/pidfile.py" <"$fifo" \
		>"$PY/out" 2>"$PY/err" 3>&- &
	pid=$!
	exec 7>"$fifo"
	echo '{"value":21}' >&7
	wait_file "$PY/out"
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	exec 7>&-
	[ "$status" -eq 130 ]
	[ "$(cat "$PY/out")" = '{"value":21}' ]
	gone "$(cat "$PY/pid")"
}

# The reference's actor loop: an echo that says when it is paused and
# resumed, and goodbye at the end.
echo_actor() {
	py_file actor.py <<'PYEOF'
import asyncio
async def main(ctx, tag="echo"):
    while not ctx.should_terminate:
        if not ctx.is_active:
            await ctx.send({"paused": True})
            await ctx.wait_active()
            await ctx.send({"resumed": True})
            continue
        try:
            msg = await ctx.receive(timeout=0.1)
        except asyncio.TimeoutError:
            continue
        await ctx.send({tag: msg})
    await ctx.send({"bye": ctx.params})
PYEOF
}

@test "actor form: run drains its input, then should_terminate; args reach main and ctx.params" {
	echo_actor
	run "$RINGCTL" run python-actor -p file="$PY/actor.py" \
		-p 'args={"tag":"x"}' < <(values 2)
	assert_success
	assert_output "$(printf '%s\n' '{"x":{"value":1}}' '{"x":{"value":2}}' \
		'{"bye":{"tag":"x"}}')"
}

@test "actor form: deactivate reaches ctx.is_active, reactivate ctx.wait_active" {
	echo_actor
	active a --kernel python-actor --param file="$PY/actor.py"
	echo '{"v":1}' | "$RINGCTL" send a
	run "$RINGCTL" recv a --timeout 5
	assert_output '{"echo":{"v":1}}'
	"$RINGCTL" deactivate a
	run "$RINGCTL" recv a --timeout 5
	assert_output '{"paused":true}'
	echo '{"v":2}' | "$RINGCTL" send a
	run "$RINGCTL" recv a --timeout 0.3
	[ "$status" -eq 6 ]
	"$RINGCTL" reactivate a
	run "$RINGCTL" recv a -n 2 --timeout 5
	assert_success
	assert_output "$(printf '%s\n' '{"resumed":true}' '{"echo":{"v":2}}')"
}

@test "actor form: terminate of an actor that ignores should_terminate escalates within the timeout" {
	py_file deaf.py <<PYEOF
import asyncio, os, signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)
open("$PY/pid", "w").write(str(os.getpid()))
async def main(ctx):
    while True:
        try:
            await ctx.send(await ctx.receive(timeout=0.1))
        except asyncio.TimeoutError:
            pass
PYEOF
	active deaf --kernel python-actor --param file="$PY/deaf.py"
	echo '{"a":1}' | "$RINGCTL" send deaf
	run "$RINGCTL" recv deaf --timeout 5
	assert_output '{"a":1}'
	start=$(date +%s%N)
	run "$RINGCTL" terminate deaf --timeout 1
	assert_success
	took=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$took" -lt 2500 ]
	gone "$(cat "$PY/pid")" 10
}

@test "actor form: an actor that raises fails its kernel with the traceback" {
	py_file raise.py <<'PYEOF'
async def main(ctx):
    msg = await ctx.receive(timeout=5)
    raise RuntimeError("broke on %r" % msg)
PYEOF
	active r --kernel python-actor --param file="$PY/raise.py"
	echo '{"a":1}' | "$RINGCTL" send r
	for _ in $(seq 50); do
		[ "$("$RINGCTL" state r)" = FAILED ] && break
		sleep 0.1
	done
	run "$RINGCTL" state r
	assert_output FAILED
	run "$RINGCTL" stats r --format json
	assert_output --partial "RuntimeError: broke on {'a': 1} (raise.py:3 in main: raise RuntimeError(\\\"broke on %r\\\" % msg))"
}

# A .py kernel with a header, in its own plugin directory $PY/pp.
header_kernel() {
	mkdir -p "$PY/pp"
	cat >"$PY/pp/scale.py" <<'PYEOF'
#: kernel: scale-py
#: description: multiplies each value
#: input: json
#: output: json
#: param: factor int=2 what each value is multiplied by
#: param: label string=result the output's field
def process(msg, factor, label):
    return {label: msg["value"] * factor}
PYEOF
	echo 'x = 1  # a helper module: no header, not a kernel' >"$PY/pp/helper.py"
	export RINGCTL_PLUGIN_PATH=$RINGCTL_PLUGIN_PATH:$PY/pp
}

@test "a .py file on the plugin path is a kernel by its header's name: kernels, describe" {
	header_kernel
	run --separate-stderr "$RINGCTL" kernels
	assert_success
	assert_line --regexp '^scale-py +scale.py +multiplies each value$'
	refute_output --partial helper
	[ -z "$stderr" ]
	run "$RINGCTL" describe scale-py
	assert_success
	assert_line --regexp '^  factor +int +2 +what each value is multiplied by$'
	assert_line --regexp '^  label +string +result +'
	assert_output --partial "plugin:      $PY/pp/scale.py"
}

@test "a .py kernel's parameters: defaults, --param, YAML params, typed" {
	header_kernel
	run "$RINGCTL" run scale-py < <(values 2)
	assert_success
	assert_output "$(printf '%s\n' '{"result":2}' '{"result":4}')"
	run "$RINGCTL" run scale-py -p factor=7 -p label=x < <(values 2)
	assert_success
	assert_output "$(printf '%s\n' '{"x":7}' '{"x":14}')"
	run "$RINGCTL" run scale-py -p factor=two < <(values 1)
	[ "$status" -eq 2 ] || [ "$status" -eq 1 ] || [ "$status" -eq 78 ]
	assert_output --partial "must be an int"
	printf 'kernels:\n  s: {kernel: scale-py, params: {factor: 3}}\npipeline: [s]\n' \
		>"$PY/t.yaml"
	run "$RINGCTL" run "$PY/t.yaml" < <(values 1)
	assert_success
	assert_output '{"result":3}'
	run "$RINGCTL" run "$PY/pp/scale.py" < <(values 1)
	assert_success
	assert_output '{"result":2}'
}

@test "a .py kernel in the server, by name" {
	header_kernel
	active s --kernel scale-py --param factor=10
	values 2 | "$RINGCTL" send s
	run "$RINGCTL" recv s -n 2 --timeout 5
	assert_success
	assert_output "$(printf '%s\n' '{"result":10}' '{"result":20}')"
}

@test "a .py kernel with a bad header is said, naming the file" {
	mkdir -p "$PY/bad"
	printf '#: kernel: b\n#: input: int\ndef process(m):\n    return m\n' \
		>"$PY/bad/b.py"
	RINGCTL_PLUGIN_PATH=$RINGCTL_PLUGIN_PATH:$PY/bad run "$RINGCTL" run b < <(values 1)
	[ "$status" -eq 3 ]
	assert_output --partial "b.py: a Python kernel's messages are json, not 'int'"
}

# The example between `.\" NAME-begin` and `.\" NAME-end` in
# ringkernel-plugin(7), into file $2.
man_example() {
	sed -n "/^\.\\\\\" $1-begin/,/^\.\\\\\" $1-end/p" \
		"$top_srcdir/man/ringkernel-plugin.7" | sed '/^\./d' >"$2"
}

@test "ringkernel-plugin(7)'s Python examples run" {
	mkdir -p "$PY/man"
	man_example python-function "$PY/man/scale.py"
	man_example python-actor "$PY/man/echo.py"
	grep -q '^def process' "$PY/man/scale.py"
	grep -q '^async def main' "$PY/man/echo.py"
	export RINGCTL_PLUGIN_PATH=$RINGCTL_PLUGIN_PATH:$PY/man
	run "$RINGCTL" run scale-py -p factor=3 < <(printf '%s\n' '{"value":2}' '{"x":1}')
	assert_success
	assert_output '{"value":6}'
	run "$RINGCTL" run echo-py < <(values 2)
	assert_success
	assert_output "$(printf '%s\n' '{"echo":{"value":1}}' '{"echo":{"value":2}}')"
	active e --kernel echo-py
	"$RINGCTL" deactivate e
	run "$RINGCTL" recv e --timeout 5
	assert_output '{"paused":true}'
}

@test "the README's Python kernel example runs" {
	cd "$PY"
	# double.py as the README shows it, then its command line.
	sed -n '/^    \$ cat double.py$/,/^    \$ echo/p' "$top_srcdir/README" |
		sed '1d;$d;s/^    //' >double.py
	grep -q '^def process' double.py
	cmd=$(sed -n 's/^    \$ \(echo .* | ringctl run python .*\)$/\1/p' "$top_srcdir/README")
	[ -n "$cmd" ]
	run bash -c "${cmd/ringctl/\"$RINGCTL\"}"
	assert_success
	assert_output '{"result":42}'
}
