#!/usr/bin/env bash
# vendor/rlibphonenumber is rlibphonenumber as published on crates.io, plus
# vendor/rlibphonenumber.patch (see vendor/README.md).
#   scripts/vendor-rlibphonenumber.sh           re-creates it: downloads the crate, checks the
#                                               checksum Cargo.lock had for it, writes the
#                                               checksum of each of its files to
#                                               vendor/rlibphonenumber.sha256, unpacks, patches
#   scripts/vendor-rlibphonenumber.sh --check   offline (CI): takes the patch back out of a copy
#                                               of the tree and checks that every file is the
#                                               published one, by vendor/rlibphonenumber.sha256,
#                                               and that there is no other
#   scripts/vendor-rlibphonenumber.sh --online  compares the tree with a fresh download, patched
# Upgrading: change VERSION and SHA256 (the new release's checksum, from crates.io or a Cargo.lock
# without the [patch]), run this, and regenerate fixtures/reference/phones.csv with the matching
# `phonenumbers` release (scripts/reference/requirements.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=2.2.15
SHA256=f502953050e91007f7062deec3e6a90710358beb35d0551ab10648e76eb12ce0
sums=$PWD/vendor/rlibphonenumber.sha256
patchfile=$PWD/vendor/rlibphonenumber.patch

mode=make
case ${1:-} in
  --check) mode=check ;;
  --online) mode=online ;;
  '') ;;
  *) echo "usage: scripts/vendor-rlibphonenumber.sh [--check | --online]" >&2; exit 2 ;;
esac
command -v patch >/dev/null || { echo "patch is missing (apt-get install patch)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The files of a crate tree and their checksums, one a line, sorted by path.
checksums() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); }

if [[ $mode == check ]]; then
  cp -r vendor/rlibphonenumber "$tmp/tree"
  patch --quiet --reverse --directory "$tmp/tree" -p1 < "$patchfile"
  if ! diff <(checksums "$tmp/tree") "$sums" >&2; then
    echo "vendor/rlibphonenumber is not rlibphonenumber $VERSION plus vendor/rlibphonenumber.patch" \
      "(lines above: < the tree without the patch, > the published crate)" >&2
    exit 1
  fi
  echo "vendor/rlibphonenumber: rlibphonenumber $VERSION as published ($(wc -l < "$sums") files), plus the patch"
  exit 0
fi

curl -sSfL -o "$tmp/crate.tar.gz" \
  "https://static.crates.io/crates/rlibphonenumber/rlibphonenumber-$VERSION.crate"
echo "$SHA256  $tmp/crate.tar.gz" | sha256sum --check --quiet
tar -xzf "$tmp/crate.tar.gz" -C "$tmp"
published=$tmp/rlibphonenumber-$VERSION
if [[ $mode == online ]]; then
  diff <(checksums "$published") "$sums"
  patch --quiet --directory "$published" -p1 < "$patchfile"
  diff -r "$published" vendor/rlibphonenumber
  echo "vendor/rlibphonenumber is rlibphonenumber $VERSION from crates.io with vendor/rlibphonenumber.patch"
else
  checksums "$published" > "$sums"
  patch --quiet --directory "$published" -p1 < "$patchfile"
  rm -rf vendor/rlibphonenumber
  mv "$published" vendor/rlibphonenumber
  echo "vendor/rlibphonenumber: rlibphonenumber $VERSION from crates.io, patched"
fi
