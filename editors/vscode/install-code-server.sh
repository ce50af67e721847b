#!/usr/bin/env bash
# Installs code-server (VS Code's workbench served to a browser) from the npm registry, for
# tests/test_editor_recipes.py, on a Debian machine that reaches the package registries but not
# GitHub. code-server's own postinstall downloads ripgrep and prebuilt native modules from
# GitHub; here ripgrep comes from Debian and the native modules are compiled locally.
#
#   editors/vscode/install-code-server.sh [PREFIX]     (root; default PREFIX /opt/code-server)
#
# code-server 4.99.3 is the last release for Node.js 20 (the node of this project's machines).
set -euo pipefail

prefix="${1:-/opt/code-server}"
version=4.99.3

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential python3 libkrb5-dev ripgrep >/dev/null

mkdir -p "$prefix"
npm install --prefix "$prefix" --ignore-scripts --no-audit --no-fund --loglevel=error "code-server@$version"
npm rebuild --prefix "$prefix" --loglevel=error argon2

# What code-server's postinstall.sh does, without the downloads:
cd "$prefix/node_modules/code-server/lib/vscode"
npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
mkdir -p node_modules/@vscode/ripgrep/bin  # present: its postinstall skips the download
ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
npm_config_yes=true npm rebuild --loglevel=error  # node-pty, kerberos, spdlog, ... compiled here
ln -sfn node_modules node_modules.asar
ln -sf code-linux.sh bin/remote-cli/code-server
ln -sf browser-linux.sh bin/helpers/browser.sh
(cd extensions && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)

ln -sf "$prefix/node_modules/.bin/code-server" /usr/local/bin/code-server
code-server --version
