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
