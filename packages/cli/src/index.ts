export { builtinCommands, cli, main, run, runMain, signalCommand, VERSION } from "./Cli"
export { CliFailure, EXIT_ERROR, EXIT_OK, EXIT_USAGE, UsageError, withExitCode } from "./CliError"
export {
  CliSettings,
  configFilePath,
  contextLayer,
  type GlobalFlags,
  globalOptions,
  readConfigFile,
  requireTenant,
  resolveSettings,
  rootCommand,
  type Settings,
  withSettings
} from "./Settings"
