// The `iot-pub` command: runs the CLI with the process's arguments and sets its exit code.
import { runCli } from './cli.js'

process.exitCode = await runCli(process.argv.slice(2))
