#!/usr/bin/env node
'use strict';
// Runs before `npm start`: installs dependencies when node_modules is missing and builds
// dist/ when it is missing or older than any source file, so the quick start is one command.
const { execSync } = require('node:child_process');
const { existsSync, statSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit' });

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  console.error('anypick: installing dependencies (npm ci)…');
  run(existsSync(join(root, 'package-lock.json')) ? 'npm ci' : 'npm install');
}
const main = join(root, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(main) || statSync(main).mtimeMs < newest(join(root, 'src'))) {
  console.error('anypick: building (tsc)…');
  run('npx tsc -p .');
}
