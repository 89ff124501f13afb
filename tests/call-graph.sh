#!/bin/sh
# call-graph.sh - the library's files call each other in no circle but
# the one the design allows: a kernel's executor and the rk_ctx API it
# serves (tools/lib-call-graph).  Skips (77) without nm or the core.
: "${top_builddir:?run by make check}"
: "${top_srcdir:?run by make check}"
archive=$top_builddir/lib/.libs/libringkernel-core.a
if ! command -v nm >/dev/null || [ ! -f "$archive" ]; then
	echo "# no nm, or no core library to look into"
	exit 77
fi
out=$(sh "$top_srcdir/tools/lib-call-graph" "$archive")
echo "1..1"
# A cycle's members in sorted order: the tool lists them as its walk
# met them.
cycles=$(printf '%s\n' "$out" | sed -n 's/^cycle: //p' |
	while read -r members; do
		printf '%s\n' $members | sort | tr '\n' ' '
		echo
	done | grep -v '^ctx executor-loop $')
if [ -z "$cycles" ]; then
	echo "ok 1 - no cycle but ctx <-> executor-loop"
else
	echo "not ok 1 - files that call each other in a circle:"
	printf '%s\n' "$out" | sed 's/^/# /'
	exit 1
fi
