// Bundles the FC entry into dist/gateway/, a folder that runs with no node_modules (s.yaml's `code`).
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { build } from 'esbuild'

const outdir = 'dist/gateway'

await rm(outdir, { recursive: true, force: true })
await mkdir(outdir, { recursive: true })
const result = await build({
  entryPoints: { index: 'functions/gateway/index.ts' },
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  // CommonJS, because pop-core and its dependencies require() Node's modules at run time.
  format: 'cjs',
  minify: true,
  // Error names reach logs and FC's errorType: keep them readable.
  keepNames: true,
  sourcemap: 'linked',
  metafile: true,
  legalComments: 'external',
  logLevel: 'warning',
})
// The repository is "type": "module"; this marks the bundle as CommonJS wherever it is loaded.
await writeFile(`${outdir}/package.json`, `${JSON.stringify({ type: 'commonjs' })}\n`)
await writeFile('dist/meta.json', JSON.stringify(result.metafile))
const bytes = result.metafile.outputs[`${outdir}/index.js`].bytes
console.log(`built ${outdir}/index.js (${(bytes / 1024).toFixed(1)} KiB)`)

// The caller's side: the `iot-pub` CLI and the typed client. They run where node_modules is installed,
// so packages (@alicloud/fc2 and its dependencies) stay external.
await build({
  entryPoints: { 'cli/iot-pub': 'client/main.ts', 'client/gateway-client': 'client/gateway-client.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
})
console.log('built dist/cli/iot-pub.mjs and dist/client/gateway-client.mjs')
