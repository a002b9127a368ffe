/** What `iot-pub` accepts: its flags and the help that describes them. */
import type { parseArgs } from 'node:util'

/** The CLI's `--help` text. */
export const HELP = `Usage: iot-pub publish [options]

Publishes through the gateway: the local runner (default), a deployed HTTP trigger, or FC's invoke API.

Message:
  --product <key>            product key (required unless --file)
  --device <name>            device name, with --topic
  --topic <short>            topic after /user/, e.g. get or cmd/light
  --topic-full-name <topic>  instead of --device/--topic, e.g. /broadcast/<product>/all
  --payload <value>          JSON when it parses as JSON, else sent as text
  --payload-base64 <b64>     raw payload bytes in base64
  --qos <0|1>                MQTT QoS (default 0)
  --response-topic <topic>   MQTT 5 response topic
  --correlation-data <text>  MQTT 5 correlation data
  --prop <key=value>         MQTT 5 user property (repeat for more)
  --file <path|->            a message, {"messages": [...]} or an array of messages, from a file or stdin

Target (default: the local runner at http://127.0.0.1:<PORT>/, PORT from the shell or .env, else 9000):
  --url <url>                the HTTP trigger URL
  --api-key <key>            API key (or IOT_PUB_API_KEY; the local runner's own key by default)
  --function <name>          invoke this function through FC's invoke API instead
                             (POST /2023-03-30/functions/<name>/invocations); needs:
  --account-id <id>          the account that owns the function
  --region <region>          its region, e.g. cn-shanghai
                             credentials: ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET/_SECURITY_TOKEN
  --qualifier <q>            a version or alias (default: LATEST)
  --async                    queue the invocation (x-fc-invocation-type: Async); FC retries it
  --log                      print the tail of the function's log to stderr (x-fc-log-type: Tail)
  --service <name>           only for a function in an FC 2.0 service: the 2016-08-15 path
  --endpoint <url>           override https://<account-id>.<region>.fc.aliyuncs.com

Output:
  --batch-size <n>           most messages per request; a longer --file is sent in chunks
                             (default MAX_BATCH_SIZE from the shell, else 100)
  --dry-run                  check the messages with the gateway's own schema and rules, send nothing
                             (payload limit MAX_PAYLOAD_BYTES from the shell, else 262144)
  --verbose                  print each request's status and latency to stderr
  --json                     errors on stderr as one JSON object: {"error": {"message", "exitCode"}}
  -h, --help                 this help

Exit codes: 0 all published, 1 failed, refused or unreachable, 2 wrong usage (decided before any request).`

/** The CLI's flags, as `node:util` parseArgs takes them. */
export const OPTIONS = {
  product: { type: 'string' },
  device: { type: 'string' },
  topic: { type: 'string' },
  'topic-full-name': { type: 'string' },
  payload: { type: 'string' },
  'payload-base64': { type: 'string' },
  qos: { type: 'string' },
  'response-topic': { type: 'string' },
  'correlation-data': { type: 'string' },
  prop: { type: 'string', multiple: true },
  file: { type: 'string' },
  url: { type: 'string' },
  'api-key': { type: 'string' },
  function: { type: 'string' },
  'account-id': { type: 'string' },
  region: { type: 'string' },
  qualifier: { type: 'string' },
  async: { type: 'boolean' },
  log: { type: 'boolean' },
  service: { type: 'string' },
  endpoint: { type: 'string' },
  'batch-size': { type: 'string' },
  verbose: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

/** The flags as `parseArgs` reads them. */
export type CliFlags = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>['values']

/** A command the CLI cannot run as given: exit code 2. */
export class UsageError extends Error {}
