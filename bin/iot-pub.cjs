#!/usr/bin/env node
// Launches the CLI that `npm run build` bundles into dist/cli.
const { existsSync } = require('node:fs')
const { join } = require('node:path')
const { pathToFileURL } = require('node:url')

const cli = join(__dirname, '..', 'dist', 'cli', 'iot-pub.mjs')
if (!existsSync(cli)) {
  process.stderr.write('iot-pub: run `npm run build` first (dist/cli is missing)\n')
  process.exit(2)
}
import(pathToFileURL(cli).href)
