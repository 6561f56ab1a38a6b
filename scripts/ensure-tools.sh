#!/usr/bin/env bash
# Installs what Rollcall needs to build and run, skipping whatever is already there.
#
#   scripts/ensure-tools.sh          what `make run` needs
#   scripts/ensure-tools.sh --test   and what `make test` needs: Chromium and end2end's npm packages
#
# Only the registries this project's machines reach are used (crates.io, npm, Debian's packages);
# a tool that cannot be installed stops the script with what to do about it.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
say() { echo "tools: $*" >&2; }
die() { echo "tools: error: $*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo is not on PATH; install Rust 1.95 with rustup first"
command -v rustup >/dev/null || die "rustup is not on PATH; Rollcall needs it to add the wasm32 target"

apt_install() {
  [ "$(id -u)" = 0 ] || die "$1 is missing and only root can install it with apt-get; install $* yourself"
  say "installing $* from Debian's packages"
  if [ ! -f /tmp/.rollcall-apt-updated ]; then apt-get update -qq >&2 && touch /tmp/.rollcall-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2 || die "apt-get could not install $*"
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown >&2
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt >&2

if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 20 minutes, once per machine)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads >&2 \
    || die "could not install cargo-leptos $CARGO_LEPTOS_VERSION"
fi

# The wasm-bindgen CLI must be exactly the version in Cargo.lock, or the wasm bundle breaks.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$WASM_BINDGEN_VERSION" ] || die "Cargo.lock has no wasm-bindgen; run cargo generate-lockfile"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 5 minutes, once per machine)"
  # Not --locked: the CLI's own lock file pins a yanked crate.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force >&2 \
    || die "could not install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
fi

command -v psql >/dev/null || apt_install postgresql-client

if [ "${1:-}" = "--test" ]; then
  [ -x /usr/bin/chromium ] || apt_install chromium
  command -v npm >/dev/null || apt_install nodejs npm
  # npm ci only when the lock file changed since the last install.
  if [ ! -f end2end/node_modules/.package-lock.json ] \
     || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    say "installing end2end's npm packages from its lock file"
    (cd end2end && npm ci --no-audit --no-fund >&2) || die "npm ci failed in end2end/"
  fi
fi
