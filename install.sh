#!/bin/sh
# treehouse installer: downloads the binary for this machine from a GitHub release, checks its
# SHA-256 against the release's SHA256SUMS, and installs it as `treehouse`.
#
#   curl -fsSL https://github.com/OWNER/treehouse/releases/latest/download/install.sh | sh
#
# Environment (all optional):
#   TREEHOUSE_VERSION       version to install, e.g. 0.2.0 (default: the latest release)
#   TREEHOUSE_INSTALL_DIR   where to put the binary (default: $HOME/.local/bin)
#   TREEHOUSE_REPO          GitHub owner/name to download from (the release sets the default)
#   TREEHOUSE_DOWNLOAD_URL  base URL holding treehouse-<target> and SHA256SUMS (mirrors, tests)
#   TREEHOUSE_TARGET        target triple, instead of detecting it from uname
set -eu

REPO="${TREEHOUSE_REPO:-OWNER/treehouse}"
VERSION="${TREEHOUSE_VERSION:-latest}"
INSTALL_DIR="${TREEHOUSE_INSTALL_DIR:-${HOME:?HOME is not set}/.local/bin}"

say() { printf 'treehouse-install: %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}

detect_target() {
  os=$(uname -s)
  arch=$(uname -m)
  case "$arch" in
    arm64 | aarch64) arch=aarch64 ;;
    x86_64 | amd64) arch=x86_64 ;;
    *) die "no treehouse binary for the $arch architecture; install from source (see the README)" ;;
  esac
  case "$os" in
    Darwin) echo "$arch-apple-darwin" ;;
    Linux)
      [ "$arch" = x86_64 ] || die "no treehouse binary for $arch Linux yet; install from source (see the README)"
      echo "x86_64-unknown-linux-gnu"
      ;;
    *) die "no treehouse binary for $os; install from source (see the README)" ;;
  esac
}

fetch() { # url file
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 2 -o "$2" "$1" || die "download failed: $1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1" || die "download failed: $1"
  else
    die "curl or wget is needed to download treehouse"
  fi
}

sha256() { # file
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  else
    die "sha256sum or shasum is needed to check the download"
  fi
}

TARGET="${TREEHOUSE_TARGET:-$(detect_target)}"
FILE="treehouse-$TARGET"
if [ -n "${TREEHOUSE_DOWNLOAD_URL:-}" ]; then
  BASE="${TREEHOUSE_DOWNLOAD_URL%/}"
elif [ "$VERSION" = latest ]; then
  BASE="https://github.com/$REPO/releases/latest/download"
else
  BASE="https://github.com/$REPO/releases/download/v${VERSION#v}"
fi

TMP=$(mktemp -d 2>/dev/null || mktemp -d -t treehouse)
trap 'rm -rf "$TMP"' EXIT INT TERM

say "downloading $FILE from $BASE"
fetch "$BASE/$FILE" "$TMP/$FILE"
fetch "$BASE/SHA256SUMS" "$TMP/SHA256SUMS"

EXPECTED=$(awk -v f="$FILE" '$2 == f || $2 == "*" f { print $1; exit }' "$TMP/SHA256SUMS")
[ -n "$EXPECTED" ] || die "SHA256SUMS has no line for $FILE"
ACTUAL=$(sha256 "$TMP/$FILE")
[ "$EXPECTED" = "$ACTUAL" ] || die "checksum mismatch for $FILE: expected $EXPECTED, got $ACTUAL; nothing was installed"

mkdir -p "$INSTALL_DIR"
# Copy next to the destination, then rename: a running treehouse is never half-overwritten.
cp "$TMP/$FILE" "$INSTALL_DIR/.treehouse.$$"
chmod 755 "$INSTALL_DIR/.treehouse.$$"
mv -f "$INSTALL_DIR/.treehouse.$$" "$INSTALL_DIR/treehouse"
say "installed $("$INSTALL_DIR/treehouse" --version 2>/dev/null || echo treehouse) to $INSTALL_DIR/treehouse"

case ":${PATH:-}:" in
  *":$INSTALL_DIR:"*) ;;
  *) say "add $INSTALL_DIR to your PATH, e.g.: echo 'export PATH=\"$INSTALL_DIR:\$PATH\"' >> ~/.profile" ;;
esac
say "next: treehouse doctor   (and on macOS: treehouse setup)"
