#!/usr/bin/env node
'use strict';
// `npm install`/`npm ci` hook: builds the optional native addons listed in binding.gyp with the
// node-gyp that npm bundles, against the headers of the running Node (no download: this works
// offline). A failed build never fails the install: every addon has a pure-JavaScript fallback,
// and the reason is printed here and again by the command that would have used it.
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join, dirname, resolve } = require('node:path');

const root = join(__dirname, '..');
if (!existsSync(join(root, 'binding.gyp'))) process.exit(0);

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((p) => p && existsSync(p));
}

function nodeDir() {
  // Headers shipped with the runtime (Debian: /usr/include/node; official tarballs: PREFIX/include/node).
  const prefix = resolve(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

const gyp = nodeGyp();
const dir = nodeDir();
if (!gyp || !dir) {
  console.error(`anypick: native addons not built (${!gyp ? 'node-gyp not found' : 'Node headers not found'}); the JavaScript fallbacks will be used`);
  process.exit(0);
}
const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${dir}`], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (r.status !== 0) {
  console.error(`anypick: native addons not built (node-gyp exit ${r.status}); the JavaScript fallbacks will be used\n${(r.stderr || '').split('\n').slice(-15).join('\n')}`);
}
process.exit(0);
