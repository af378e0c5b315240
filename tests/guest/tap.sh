# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# TAP helpers of the guest tests; source it.  Counts in n and failed.

n=0 failed=0

# tap_result DESCRIPTION OK [DIAGNOSTIC]: one test point, passed if OK is 0
tap_result() {
    n=$((n + 1))
    if [ "$2" = 0 ]; then
        echo "ok $n - $1"
    else
        echo "not ok $n - $1"
        [ -n "${3:-}" ] && echo "#   $3"
        failed=$((failed + 1))
    fi
}

# tap_match DESCRIPTION TEXT ERE: a line of TEXT matches the ERE
tap_match() {
    grep -qE "$3" <<<"$2"
    tap_result "$1" $? "no line matches: $3"
}

# tap_count DESCRIPTION TEXT ERE N: exactly N lines of TEXT match the ERE
tap_count() {
    local got
    got=$(grep -cE "$3" <<<"$2")
    [ "$got" = "$4" ]
    tap_result "$1" $? "$got of $4 lines match: $3"
}

# tap_end WHAT TEXT LOG: the plan; on failure the TEXT (WHAT output, from
# LOG) as diagnostics, and exit status 1
tap_end() {
    echo "1..$n"
    if [ "$failed" -gt 0 ]; then
        echo "# $failed failed; $1 output (log: $3):"
        sed 's/^/#   /' <<<"$2"
        exit 1
    fi
}

# tap_kmsg_clean PREFIX CONSOLE: the guest printed the kernel's warnings and
# errors (GUEST: kmsg lines, from /init), and neither they nor the kernel's
# own console lines say a CXL port failed to probe or a range register was
# refused
tap_kmsg_clean() {
    local bad lines
    grep -q '^GUEST: kmsg-end count=' <<<"$2"
    tap_result "$1the guest printed the kernel's warnings and errors" $? \
        "no 'GUEST: kmsg-end' line"
    for bad in 'failed probe' 'decodes outside'; do
        lines=$(grep -F "$bad" <<<"$2")
        [ -z "$lines" ]
        tap_result "$1no \"$bad\" in the kernel log" $? \
            "$(head -n 4 <<<"$lines" | paste -sd'|' -)"
    done
}

hex() { printf '%#x' "$(( $1 ))"; }
