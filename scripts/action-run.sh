#!/usr/bin/env bash
# The GitHub Action's one step (action.yml): runs kestra-fix from PATH on
# the workspace and reports to the runner.
#
# Inputs arrive as environment variables (INPUT_ARGS, INPUT_TARGET_VERSION,
# INPUT_MODE, INPUT_SARIF_FILE), never spliced into this text, and are only
# ever passed as separate arguments: no eval, no globbing.
#
# Modes: check = dry run, annotations on stdout, the patch in a file, exit 1
# when changes are pending; fix = apply the safe fixes; sarif = dry run with
# a SARIF report in INPUT_SARIF_FILE. Outputs: patch (path of the patch
# file), summary (kestra-fix's summary line; with a 2.0 target also the
# readiness line), exit-code, changed (true/false). Exits with kestra-fix's
# exit code.
set -uo pipefail
# No word of the inputs may expand to file names.
set -f

mode=${INPUT_MODE:-check}
sarif_file=${INPUT_SARIF_FILE:-kestra-fix.sarif}
tmp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
patch_file=$tmp/kestra-fix.patch
annotations_file=$tmp/kestra-fix.annotations
log_file=$tmp/kestra-fix.log

cd "${GITHUB_WORKSPACE:-.}" || exit 2

# Whitespace-separated words; `read` neither expands nor evaluates them.
IFS=$' \t\n' read -r -d '' -a args <<<"${INPUT_ARGS:-}" || true
if [ "${#args[@]}" -eq 0 ]; then
    args=(.)
fi
flags=()
if [ -n "${INPUT_TARGET_VERSION:-}" ]; then
    flags+=(--target-version "$INPUT_TARGET_VERSION")
fi

# A delimiter no value can contain: the runner reads `name<<DELIM` up to a
# line `DELIM`, and a value holding that line would end it early.
random_token() {
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

# Text from the flows (patch lines, file names) shown in the log must not
# be read as workflow commands by the runner.
show_untrusted() {
    local token
    token=$(random_token)
    echo "::stop-commands::$token"
    cat -- "$1"
    echo "::$token::"
}

set_output() {
    local name=$1 value=$2 delim
    delim=ghadelimiter_$(random_token)
    case $value in
        *"$delim"*) echo "::error title=kestra-fix::output $name holds its delimiter" >&2; exit 2 ;;
    esac
    if [ -n "${GITHUB_OUTPUT:-}" ]; then
        printf '%s<<%s\n%s\n%s\n' "$name" "$delim" "$value" "$delim" >>"$GITHUB_OUTPUT"
    fi
}

: >"$patch_file"
: >"$annotations_file"
case $mode in
    check)
        kestra-fix --dry-run --output-format github -o "$annotations_file" "${flags[@]}" "${args[@]}" \
            >"$patch_file" 2>"$log_file"
        code=$?
        ;;
    fix)
        # The dry run gives the patch of what the fixing run then applies.
        kestra-fix --dry-run --quiet "${flags[@]}" "${args[@]}" >"$patch_file" 2>/dev/null
        kestra-fix --output-format github -o "$annotations_file" "${flags[@]}" "${args[@]}" \
            2>"$log_file"
        code=$?
        ;;
    sarif)
        kestra-fix --dry-run --output-format sarif -o "$sarif_file" "${flags[@]}" "${args[@]}" \
            >"$patch_file" 2>"$log_file"
        code=$?
        ;;
    *)
        echo "::error title=kestra-fix::unknown mode; expected check, fix or sarif"
        echo "kestra-fix action: unknown mode (expected check, fix or sarif)" >"$log_file"
        mode=unknown
        code=2
        ;;
esac

# kestra-fix's own annotations, escaped by it: the one trusted stream.
cat -- "$annotations_file"
show_untrusted "$log_file" >&2
if [ -s "$patch_file" ]; then
    echo "::group::kestra-fix patch"
    show_untrusted "$patch_file"
    echo "::endgroup::"
    changed=true
else
    changed=false
fi

# The summary is the last lines of stderr, from the last `kestra-fix: ` line.
summary=$(awk '/^kestra-fix: / { s = "" ; keep = 1 } keep { s = s (s == "" ? "" : "\n") $0 } END { print s }' "$log_file")
if [ -z "$summary" ]; then
    summary=$(grep -v '^[[:space:]]*$' "$log_file" | tail -n 1)
fi

set_output patch "$patch_file"
set_output summary "$summary"
set_output exit-code "$code"
set_output changed "$changed"

case $code in
    0) meaning="nothing left to change" ;;
    1) if [ "$mode" = fix ]; then meaning="findings left that need a hand"; else meaning="changes pending or findings left"; fi ;;
    *) meaning="errors (see the log)" ;;
esac

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    # A fence longer than any run of backticks in the patch.
    longest=$(cat -- "$patch_file" "$log_file" | grep -o '`*' | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
    fence=$(printf '%*s' $((longest < 3 ? 3 : longest + 1)) '' | tr ' ' '`')
    {
        echo "### kestra-fix ($mode): exit $code, $meaning"
        echo
        echo "$fence"
        printf '%s\n' "$summary"
        echo "$fence"
        if [ -s "$patch_file" ]; then
            echo
            echo "<details><summary>Patch</summary>"
            echo
            echo "${fence}diff"
            # A step summary holds at most 1 MiB.
            limit=500000
            head -c "$limit" -- "$patch_file"
            if [ "$(wc -c <"$patch_file")" -gt "$limit" ]; then
                echo
                echo "$fence"
                echo
                echo "(cut at $limit bytes; the whole patch is the file in output \`patch\`)"
            else
                echo "$fence"
            fi
            echo
            echo "</details>"
        fi
    } >>"$GITHUB_STEP_SUMMARY"
fi

exit "$code"
