#!/bin/sh
# exports.sh - libringkernel exports exactly the functions and data its
# installed headers declare RK_API, nothing of its insides.  Skips (77)
# without nm or a shared library (a static build).
: "${top_builddir:?run by make check}"
: "${top_srcdir:?run by make check}"
lib=$top_builddir/lib/.libs/libringkernel.so
if ! command -v nm >/dev/null || [ ! -f "$lib" ]; then
	echo "# no nm, or no shared library to look into"
	exit 77
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# A function's name is the word before its first "("; data's, before ";".
sed -n -e 's/^RK_API extern .*\<\(rk_[a-z_0-9]*\);.*/\1/p' \
	-e 's/^RK_API [^(]*\<\(rk_[a-z_0-9]*\)(.*/\1/p' \
	"$top_srcdir"/include/*.h | sort -u >"$tmp/declared"
nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVWu]$/ { print $3 }' |
	grep -v '^_' | sed 's/@.*//' | sort -u >"$tmp/exported"
echo "1..2"
extra=$(comm -13 "$tmp/declared" "$tmp/exported")
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
if [ -z "$extra" ]; then
	echo "ok 1 - nothing exported that include/ does not declare"
else
	echo "not ok 1 - exported, not declared RK_API in include/:"
	echo "$extra" | sed 's/^/# /'
fi
if [ -z "$missing" ]; then
	echo "ok 2 - every RK_API declaration is exported ($(wc -l <"$tmp/declared"))"
else
	echo "not ok 2 - declared RK_API, not exported:"
	echo "$missing" | sed 's/^/# /'
fi
[ -z "$extra" ] && [ -z "$missing" ]
