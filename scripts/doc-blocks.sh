#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The shell command blocks of a Markdown file, as written, for
# tests/vm/25-doc-blocks.sh.  A block is marked for testing by an HTML
# comment on the line right before its opening fence (invisible when
# rendered):
#
#   <!-- doc-test: NAME -->          run it (sh -e, as root)
#   <!-- doc-test: NAME syntax -->   only check its syntax (sh -n)
#   ```sh
#   ...
#   ```
#
# Usage:
#   doc-blocks.sh list FILE        "NAME MODE LINE" per marked block
#   doc-blocks.sh get FILE NAME    the body of block NAME (exit 1: no such
#                                  block, or a marker not followed by a
#                                  ```sh fence, or NAME marked twice)
#   doc-blocks.sh unmarked FILE    "LINE FIRST-LINE" per unmarked ```sh block
# Exit status 2 for a malformed marker (anywhere in FILE).
set -u

usage() { echo "usage: $0 list FILE | get FILE NAME | unmarked FILE" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 file=$2 name=${3:-}
case $cmd in list|unmarked) [ $# -eq 2 ] || usage ;; get) [ $# -eq 3 ] || usage ;; *) usage ;; esac
[ -r "$file" ] || { echo "$0: cannot read $file" >&2; exit 2; }

awk -v cmd="$cmd" -v want="$name" -v f="$file" '
BEGIN { marked = -1 }
function bad(why) { printf "%s:%d: %s\n", f, NR, why > "/dev/stderr"; err = 2; exit 2 }
# A marker: remember it for the fence on the next line.
/^<!-- doc-test:/ {
	if (infence) bad("doc-test marker inside a fenced block")
	if ($NF != "-->" || NF < 4 || NF > 5) bad("malformed doc-test marker: " $0)
	mname = $3; mmode = NF == 5 ? $4 : "run"
	if (mmode != "run" && mmode != "syntax") bad("unknown doc-test mode " mmode)
	if (seen[mname]++) bad("doc-test name " mname " marked twice")
	marked = NR
	next
}
!infence && /^```/ {
	if (marked == NR - 1 && $0 != "```sh") bad("doc-test marker before a fence that is not ```sh")
	infence = 1; issh = $0 == "```sh"; start = NR
	cur = marked == NR - 1 ? mname : ""
	if (cmd == "list" && cur != "") print cur, mmode, NR + 1
	if (cmd == "unmarked" && cur == "" && issh) first = 1
	next
}
infence && /^```[ \t]*$/ { infence = 0; cur = ""; next }
infence {
	if (cmd == "get" && cur == want) { print; found = 1 }
	if (first) { print start + 1, $0; first = 0 }
	next
}
marked == NR - 1 { bad("doc-test marker not followed by a ```sh fence") }
END {
	if (err) exit err
	if (infence) { printf "%s: fence opened at line %d not closed\n", f, start > "/dev/stderr"; exit 2 }
	if (cmd == "get" && !found) { printf "%s: no doc-test block %s\n", f, want > "/dev/stderr"; exit 1 }
}' "$file"
