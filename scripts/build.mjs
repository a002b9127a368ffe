// Bundles the FC entry into dist/gateway/, a folder that runs with no node_modules (s.yaml's `code`),
// with the message validator precompiled; then the caller's CLI and client into dist/.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const outdir = 'dist/gateway'
const generated = resolve('dist/generated/schema-validator.cjs')

await rm('dist', { recursive: true, force: true })
await mkdir(outdir, { recursive: true })
await mkdir('dist/generated', { recursive: true })
await writeFile(generated, await precompiledValidator())

// What the function's files share: CommonJS, because pop-core and its dependencies require() Node's
// modules at run time.
const deployed = {
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  metafile: true,
  legalComments: 'external',
  logLevel: 'warning',
}

const result = await build({
  ...deployed,
  entryPoints: { index: 'functions/gateway/index.ts' },
  sourcemap: 'linked',
  plugins: [
    {
      // The Redis client goes in a file of its own, dist/gateway/ioredis.js, imported only when REDIS_URL is
      // set: an instance without Redis never reads or compiles it.
      name: 'redis-client-apart',
      setup(plugin) {
        plugin.onResolve({ filter: /^ioredis$/ }, () => ({ path: './ioredis.js', external: true }))
      },
    },
    {
      // The run-time compiler module is swapped for the code ajv generated: no ajv compiler in the bundle.
      name: 'precompiled-validator',
      setup(plugin) {
        plugin.onResolve({ filter: /\/schema-validator\.js$/ }, () => ({ path: generated }))
      },
    },
    {
      // pop-core's RPC client parses responses with a json-bigint keeping big numbers as digits, so that
      // bignumber.js, which json-bigint requires, can never run: an empty module stands in for it.
      name: 'pop-core-json',
      setup(plugin) {
        plugin.onResolve({ filter: /^json-bigint$/ }, ({ importer }) =>
          importer.includes('/node_modules/@alicloud/pop-core/')
            ? { path: resolve('lib/iot/pop-core-json.ts') }
            : undefined,
        )
        plugin.onResolve({ filter: /^bignumber\.js$/ }, () => ({
          path: 'bignumber.js',
          namespace: 'left-out',
        }))
        plugin.onLoad({ filter: /.*/, namespace: 'left-out' }, () => ({ contents: '', loader: 'js' }))
      },
    },
    {
      // pop-core's RPC client signs with an `encode` of five chained global replaces per string: in the
      // bundle it calls lib/iot/pop-core-encode.ts, which gives the same text with a single scan.
      name: 'pop-core-encode',
      setup(plugin) {
        plugin.onLoad({ filter: /\/node_modules\/@alicloud\/pop-core\/lib\/rpc\.js$/ }, async ({ path }) => {
          const source = await readFile(path, 'utf8')
          const own = /^function encode\(str\) \{$[\s\S]*?^\}$/gm
          if (source.match(own)?.length !== 1)
            throw new Error(`pop-core-encode: no single encode() in ${path}`)
          const swapped = `const { encode } = require(${JSON.stringify(resolve('lib/iot/pop-core-encode.ts'))});`
          return { contents: source.replace(own, swapped), loader: 'js', resolveDir: dirname(path) }
        })
      },
    },
    // pop-core's RPC client takes its nonce, HMAC and timestamp padding from kitx, whose nonce is an md5
    // of Math.random(): in the bundle it gets lib/iot/pop-core-kitx.ts.
    popCoreStandIn('kitx', 'lib/iot/pop-core-kitx.ts'),
    // pop-core's RPC client sends through httpx, whose timer restarts at connect (a slow DNS answer or a
    // dropped SYN outlives the deadline) and which reads any answer whole, however long. In the bundle
    // it gets lib/iot/pub-transport.ts: one limit for the whole call, a capped answer, sockets destroyed.
    popCoreStandIn('httpx', 'lib/iot/pub-transport.ts'),
    silentDebug(),
    lazyMiddyStreams(),
    popCoreAssert(),
  ],
})
const redisClient = await build({
  ...deployed,
  entryPoints: { ioredis: 'node_modules/ioredis/built/index.js' },
  plugins: [silentDebug()],
})
// The repository is "type": "module"; this marks the bundle as CommonJS wherever it is loaded.
await writeFile(`${outdir}/package.json`, `${JSON.stringify({ type: 'commonjs' })}\n`)
await writeFile('dist/meta.json', JSON.stringify(result.metafile))
await writeFile('dist/meta-ioredis.json', JSON.stringify(redisClient.metafile))
const kib = (meta, file) => (meta.outputs[`${outdir}/${file}`].bytes / 1024).toFixed(1)
console.log(
  `built ${outdir}/index.js (${kib(result.metafile, 'index.js')} KiB) and ${outdir}/ioredis.js (${kib(redisClient.metafile, 'ioredis.js')} KiB)`,
)

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

// Packages write what they send to stderr when DEBUG names them (httpx the signed request, ioredis its
// commands), which FC logs: in the bundle `debug` is a stand-in that no DEBUG setting can switch on.
function silentDebug() {
  return {
    name: 'silent-debug',
    setup(plugin) {
      plugin.onResolve({ filter: /^debug$/ }, () => ({ path: 'debug', namespace: 'silent' }))
      plugin.onLoad({ filter: /.*/, namespace: 'silent' }, () => ({
        // Called as `debug(...)` by httpx and as `debug.default(...)` by ioredis' compiled TypeScript.
        contents:
          'const debug = () => Object.assign(() => {}, { enabled: false }); module.exports = debug; debug.default = debug',
        loader: 'js',
      }))
    },
  }
}

// @middy/core imports node:stream/web and node:stream/promises for streamed responses (AWS's
// streamifyResponse), which FC never uses: in the bundle they load on first use, not at cold start.
function lazyMiddyStreams() {
  return {
    name: 'lazy-middy-streams',
    setup(plugin) {
      plugin.onResolve({ filter: /^node:stream\/(?:web|promises)$/ }, async ({ path, importer }) => {
        if (!importer.includes('/node_modules/@middy/core/')) return undefined
        const source = await readFile(importer, 'utf8')
        const imported = source.match(new RegExp(`import \\{([^}]*)\\} from "${path}"`))?.[1]
        if (imported === undefined)
          throw new Error(`lazy-middy-streams: ${importer} imports ${path} otherwise`)
        const names = imported.split(',').map((name) => name.trim())
        return { path, namespace: 'lazy-builtin', pluginData: names }
      })
      plugin.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, ({ path, pluginData: names }) => ({
        contents: names
          .map(
            (name) =>
              `Object.defineProperty(exports, ${JSON.stringify(name)}, { enumerable: true, get: () => require(${JSON.stringify(path)})[${JSON.stringify(name)}] })`,
          )
          .join('\n'),
        loader: 'js',
      }))
    },
  }
}

// pop-core checks its settings with Node's assert, whose module and its dependencies cost about 4 ms at
// cold start; the gateway checks those settings itself first, so a plain throw does as well.
function popCoreAssert() {
  return {
    name: 'pop-core-assert',
    setup(plugin) {
      plugin.onResolve({ filter: /^assert$/ }, async ({ importer }) => {
        if (!importer.includes('/node_modules/@alicloud/pop-core/')) return undefined
        if (/\bassert\.\w/.test(await readFile(importer, 'utf8')))
          throw new Error(`pop-core-assert: ${importer} calls more of assert than assert() itself`)
        return { path: 'assert', namespace: 'pop-core-assert' }
      })
      plugin.onLoad({ filter: /.*/, namespace: 'pop-core-assert' }, () => ({
        contents: 'module.exports = (value, message) => { if (!value) throw new Error(message) }',
        loader: 'js',
      }))
    },
  }
}

// ajv's standalone code for the message schema, compiled with the options the run-time module uses,
// exposing the same `schemaValidator()`.
async function precompiledValidator() {
  const module = resolve('dist/generated/schema-validator-source.mjs')
  await build({
    entryPoints: ['lib/message/schema-validator.ts'],
    outfile: module,
    bundle: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    logLevel: 'warning',
  })
  const { messageSchema, VALIDATOR_OPTIONS } = await import(pathToFileURL(module).href)
  const { Ajv2020 } = await import('ajv/dist/2020.js')
  const { default: standaloneCode } = await import('ajv/dist/standalone/index.js')
  const ajv = new Ajv2020({ ...VALIDATOR_OPTIONS, code: { source: true } })
  const code = standaloneCode(ajv, ajv.compile(messageSchema))
  return `${code}\nconst compiled = module.exports;\nmodule.exports.schemaValidator = () => compiled;\n`
}

/**
 * Gives pop-core our module in place of `vendor`. The stand-in must export every `vendor.<name>` the
 * client calls, checked at each build, so that a pop-core upgrade calling another one fails here.
 */
function popCoreStandIn(vendor, standInPath) {
  return {
    name: `pop-core-${vendor}`,
    setup(plugin) {
      plugin.onResolve({ filter: new RegExp(`^${vendor}$`) }, async ({ importer }) => {
        if (!importer.includes('/node_modules/@alicloud/pop-core/')) return undefined
        const called = new Set(
          (await readFile(importer, 'utf8')).match(new RegExp(`(?<=\\b${vendor}\\.)\\w+`, 'g')),
        )
        const standIn = resolve(standInPath)
        const offered = await readFile(standIn, 'utf8')
        const missing = [...called].filter((name) => !offered.includes(`export function ${name}(`))
        if (missing.length > 0)
          throw new Error(
            `pop-core-${vendor}: ${importer} calls ${vendor}.${missing.join(`, ${vendor}.`)}, which ${standIn} lacks`,
          )
        return { path: standIn }
      })
    },
  }
}
