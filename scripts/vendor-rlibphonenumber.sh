#!/usr/bin/env bash
# vendor/rlibphonenumber is rlibphonenumber as published on crates.io, plus
# vendor/rlibphonenumber.patch (see vendor/README.md).
#   scripts/vendor-rlibphonenumber.sh          re-creates it: download, check the checksum Cargo.lock
#                                              had for the published crate, unpack, patch
#   scripts/vendor-rlibphonenumber.sh --check  says whether the copy in the tree is exactly that
# Upgrading: change VERSION and SHA256 (the new release's checksum, from crates.io or a Cargo.lock
# without the [patch]), run this, and regenerate fixtures/reference/phones.csv with the matching
# `phonenumbers` release (scripts/reference/requirements.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=2.2.15
SHA256=f502953050e91007f7062deec3e6a90710358beb35d0551ab10648e76eb12ce0

check=0
case ${1:-} in
  --check) check=1 ;;
  '') ;;
  *) echo "usage: scripts/vendor-rlibphonenumber.sh [--check]" >&2; exit 2 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -sSfL -o "$tmp/crate.tar.gz" \
  "https://static.crates.io/crates/rlibphonenumber/rlibphonenumber-$VERSION.crate"
echo "$SHA256  $tmp/crate.tar.gz" | sha256sum --check --quiet
tar -xzf "$tmp/crate.tar.gz" -C "$tmp"
patch --quiet --directory "$tmp/rlibphonenumber-$VERSION" -p1 < vendor/rlibphonenumber.patch
if ((check)); then
  diff -r "$tmp/rlibphonenumber-$VERSION" vendor/rlibphonenumber
  echo "vendor/rlibphonenumber is rlibphonenumber $VERSION from crates.io with vendor/rlibphonenumber.patch"
else
  rm -rf vendor/rlibphonenumber
  mv "$tmp/rlibphonenumber-$VERSION" vendor/rlibphonenumber
  echo "vendor/rlibphonenumber: rlibphonenumber $VERSION from crates.io, patched"
fi
