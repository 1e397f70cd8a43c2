# shellcheck shell=bash
# Sourced by privileged shell tests: skip (exit 77) without root or a
# kernel feature, unless EBPFNET_REQUIRE_PRIV=1 (CI): then fail.
skip_or_fail() {
	if [ -n "${EBPFNET_REQUIRE_PRIV:-}" ] && [ "${EBPFNET_REQUIRE_PRIV}" != 0 ]; then
		echo "FAIL: cannot run: $* (EBPFNET_REQUIRE_PRIV is set)" >&2
		exit 1
	fi
	echo "SKIP: $*" >&2
	exit 77
}
require_root() {
	[ "$(id -u)" = 0 ] || skip_or_fail "needs root"
}
