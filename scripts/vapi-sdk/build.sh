#!/usr/bin/env bash
# Rebuild public/js/vendor/vapi-web-<version>.js, the VAPI web SDK the voice widget loads, from the npm registry:
# @vapi-ai/web and its dependencies at the versions and integrity hashes of package-lock.json (npm ci refuses any
# other), bundled by esbuild into one classic script behind entry.js. Prints the file's SHA-384, which the widget
# checks (public/js/external-chatbot-voice.js, VAPI_SDK_INTEGRITY; a test holds the two to each other).
#
#   scripts/vapi-sdk/build.sh          # same versions: the same bytes
# To move to another version: change it in package.json, `npm install --package-lock-only`, run this, and update
# VAPI_SDK_PATH and VAPI_SDK_INTEGRITY in the widget.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="$(node -p 'require(process.argv[1]).dependencies["@vapi-ai/web"]' "$here/package.json")"
out="$here/../../public/js/vendor/vapi-web-$version.js"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$here/entry.js" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
"$work/node_modules/.bin/esbuild" "$work/entry.js" --bundle --format=iife --minify --target=es2017 \
  --legal-comments=eof --log-level=warning --outfile="$out" \
  --banner:js="/* VAPI web SDK for the voice widget: @vapi-ai/web $version (MIT) with @daily-co/daily-js (BSD-2-Clause), \
@sentry/browser, @babel/runtime, bowser, dequal, events (MIT), from the npm registry at the versions and integrity \
hashes of scripts/vapi-sdk/package-lock.json; bundled by scripts/vapi-sdk/build.sh. */"
echo "$out"
echo "sha384-$(openssl dgst -sha384 -binary "$out" | openssl base64 -A)"
