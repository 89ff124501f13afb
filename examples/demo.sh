#!/bin/sh
# demo.sh - the demo of README's first command: pipelines of kernels on
# JSON lines, from the build tree.  Usage: demo.sh BUILDDIR
set -eu
build=${1:-.}
RINGCTL_PLUGIN_PATH=$build/kernels/.libs
export RINGCTL_PLUGIN_PATH
ringctl() { "$build/src/ringctl" "$@"; }

numbers() { seq 1 "$1" | sed 's/.*/{"value":&}/'; }

echo '$ numbers 1..5 | ringctl run doubler'
numbers 5 | ringctl run doubler
echo
echo "$ numbers 1..100000 | ringctl run 'doubler | sum'"
numbers 100000 | ringctl run 'doubler | sum'
echo
echo "$ numbers 1..10 | ringctl run 'doubler | window' -p window.size=4"
numbers 10 | ringctl run 'doubler | window' -p window.size=4
echo
echo '$ a bad line stops the run and is named:'
printf '{"value":1}\n{"value":"two"}\n{"value":3}\n' | ringctl run doubler || echo "(exit status $?)"
echo
echo '$ ringctl kernels'
ringctl kernels
