#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Usage: mirror-tree.sh SRC DST
# Makes DST a tree of symlinks to the kbuild inputs of SRC (Kbuild, drivers/,
# include/, scripts/), dropping links whose target is gone.  Build outputs
# in DST are left alone, so incremental builds work per kernel.
set -eu
src=$1 dst=$2
mkdir -p "$dst"
find "$dst" -type l ! -exec test -e {} \; -delete
cd "$src"
find Kbuild drivers include scripts -type f ! -name '*.o' ! -name '.*' |
while read -r f; do
	mkdir -p "$dst/$(dirname "$f")"
	[ -L "$dst/$f" ] || ln -s "$src/$f" "$dst/$f"
done
