# common.bash - shared set-up for the ringctl CLI suites.
#
# `make check` exports RINGCTL (the built binary), top_srcdir and
# top_builddir; run by hand, the binary is looked up from the build
# directory given in RINGCTL or ../../build.

bats_load_library bats-support
bats_load_library bats-assert

: "${RINGCTL:=$BATS_TEST_DIRNAME/../../build/src/ringctl}"
: "${top_srcdir:=$BATS_TEST_DIRNAME/../..}"

# Run ringctl through `run`, so that $status and $output are set.
ringctl() {
	"$RINGCTL" "$@"
}
