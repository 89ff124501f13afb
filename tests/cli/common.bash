# common.bash - shared set-up for the ringctl CLI suites.
#
# `make check` exports RINGCTL (the built binary), RINGCTL_PLUGIN_PATH
# (the built kernels), top_srcdir and top_builddir; run by hand from the
# source tree, they default to the build directory ./build.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

: "${top_srcdir:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
: "${RINGCTL:=$top_builddir/src/ringctl}"
: "${RINGCTL_PLUGIN_PATH:=$top_builddir/kernels/.libs}"
export RINGCTL_PLUGIN_PATH
: "${RINGCTL_PYTHON_WORKER:=$top_srcdir/python/ringkernel/worker.py}"
export RINGCTL_PYTHON_WORKER
KERNELS=$top_builddir/kernels/.libs
TEST_PLUGINS=$top_builddir/tests/plugins/.libs

ringctl() {
	"$RINGCTL" "$@"
}

# The version of the client-server protocol (src/protocol.h).
protocol_version() {
	sed -n 's/^#define PROTOCOL_VERSION \([0-9]*\)$/\1/p' \
		"$top_srcdir/src/protocol.h"
}

# JSON lines {"value": N} for N in 1..$1.
values() {
	seq 1 "$1" | sed 's/.*/{"value":&}/'
}
export -f values

# Wait until file $1 is there and not empty (up to 5 s).
wait_file() {
	for _ in $(seq 50); do [ -s "$1" ] && return 0; sleep 0.1; done
	return 1
}

# Whether process $1 is gone (up to $2 tenths of a second); a zombie of
# ours counts as gone.
gone() {
	for _ in $(seq "${2:-50}"); do
		[ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = "" ] && return 0
		[ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ] && return 0
		sleep 0.1
	done
	return 1
}

# A server of the test's own: its directory, killed afterwards.
server_setup() {
	RK_DIR=$(mktemp -d /tmp/rkt.XXXXXX)
	chmod 700 "$RK_DIR"
	export XDG_RUNTIME_DIR=$RK_DIR
	unset RINGCTL_SOCKET
	SOCK_DIR=$RK_DIR/ringctl
}

server_teardown() {
	local file pid
	"$RINGCTL" kill-server >/dev/null 2>&1 || true
	# Servers of -L names, or one still stopping: gone either way.
	for file in "$RK_DIR"/ringctl/*.pid; do
		pid=$(cat "$file" 2>/dev/null) || continue
		kill "$pid" 2>/dev/null || true
	done
	rm -rf "$RK_DIR"
}

# What a test made for -S and another uid: the server on
# $RK_OPEN_DIR/s and its directory, and the copy of ringctl in
# $RK_OTHER_DIR (other_uid_ringctl); whichever there are.
drop_open_dirs() {
	if [ -n "${RK_OPEN_DIR:-}" ]; then
		"$RINGCTL" -S "$RK_OPEN_DIR/s" kill-server >/dev/null 2>&1 || true
		rm -rf "$RK_OPEN_DIR"
	fi
	[ -z "${RK_OTHER_DIR:-}" ] || rm -rf "$RK_OTHER_DIR"
}

# Launch and activate a kernel in the test's server.
active() {
	"$RINGCTL" launch "$@" && "$RINGCTL" activate "$1"
}

# A copy of ringctl that another uid can run, in RK_OTHER_DIR (the
# caller's teardown removes it).  The build may sit in a home directory of mode
# 0700 (root's is, on Debian) that another user cannot enter, so the
# program and libringkernel are copied to a fresh 0755 directory.
# Returns 1, with the reason in RK_OTHER_WHY, when even the copy cannot
# be run as uid $1: the caller then skips and says why.
other_uid_ringctl() {
	local uid=$1 bin=$top_builddir/src/.libs/ringctl
	# Without libtool's wrapper (a static build) the program is itself.
	[ -f "$bin" ] || bin=$RINGCTL
	RK_OTHER_DIR=$(mktemp -d /tmp/rkother.XXXXXX)
	chmod 755 "$RK_OTHER_DIR"
	cp "$bin" "$RK_OTHER_DIR/ringctl"
	cp -P "$top_builddir"/lib/.libs/libringkernel.so* "$RK_OTHER_DIR/" 2>/dev/null
	chmod -R a+rX "$RK_OTHER_DIR"
	if ! RK_OTHER_WHY=$(as_uid "$uid" "$RK_OTHER_DIR/ringctl" --version 2>&1); then
		RK_OTHER_WHY="uid $uid cannot run a copy of ringctl in $RK_OTHER_DIR: $RK_OTHER_WHY"
		return 1
	fi
}

# Run a command as uid (and gid) $1, with the copy's library first.
as_uid() {
	local uid=$1; shift
	setpriv --reuid="$uid" --regid="$uid" --clear-groups \
		env LD_LIBRARY_PATH="$RK_OTHER_DIR" "$@"
}

# A throw-away local user for attacks: created here, removed by
# drop_throwaway_user (call it from teardown).  Sets RK_USER and
# RK_USER_UID.  Returns 1, with the reason in RK_USER_WHY, when no user
# can be made (not root, no useradd): the caller skips and says why.
throwaway_user() {
	RK_USER= RK_USER_UID=
	if [ "$(id -u)" -ne 0 ]; then
		RK_USER_WHY="needs root to make a second user"
		return 1
	fi
	if ! command -v useradd >/dev/null || ! command -v setpriv >/dev/null; then
		RK_USER_WHY="needs useradd and setpriv"
		return 1
	fi
	local name=rkt$$x$RANDOM
	if ! RK_USER_WHY=$(useradd --system --no-create-home --no-user-group \
			--gid nogroup --shell /usr/sbin/nologin "$name" 2>&1); then
		RK_USER_WHY="useradd $name: $RK_USER_WHY"
		return 1
	fi
	RK_USER=$name
	RK_USER_UID=$(id -u "$name")
}

drop_throwaway_user() {
	[ -n "${RK_USER:-}" ] || return 0
	pkill -KILL -u "$RK_USER" 2>/dev/null || true
	userdel "$RK_USER" 2>/dev/null || true
	RK_USER= RK_USER_UID=
}

# Run a command as the throw-away user (its uid, group nogroup).
as_user() {
	setpriv --reuid="$RK_USER_UID" --regid="$(id -g "$RK_USER")" \
		--clear-groups env LD_LIBRARY_PATH="${RK_OTHER_DIR:-}" "$@"
}
