/** Options shared by several commands. */
import * as Args from "@effect/cli/Args"
import * as Options from "@effect/cli/Options"
import { Effect, Option } from "effect"
import { UsageError } from "./CliError"

/** `--x a --x b,c` → `["a", "b", "c"]`; `undefined` when not given (so filters stay unset). */
export const repeated = (name: string, description: string) =>
  Options.text(name).pipe(
    Options.withDescription(`${description} (repeatable, or comma-separated)`),
    Options.repeated,
    Options.map((values) => {
      const items = values.flatMap((value) => value.split(",")).map((value) => value.trim()).filter((value) => value !== "")
      return items.length === 0 ? undefined : items
    })
  )

export const repeatedChoice = <const A extends string>(name: string, choices: ReadonlyArray<A>, description: string) =>
  Options.choice(name, choices).pipe(
    Options.withDescription(`${description} (repeatable)`),
    Options.repeated,
    Options.map((values) => (values.length === 0 ? undefined : values))
  )

export const page = {
  limit: Options.integer("limit").pipe(Options.withDescription("Page size, 1–200 (default 20)"), Options.optional),
  order: Options.choice("order", ["asc", "desc"] as const).pipe(
    Options.withDescription("Oldest or newest first (default desc)"),
    Options.optional
  ),
  cursor: Options.text("cursor").pipe(Options.withDescription("nextCursor of the previous page"), Options.optional)
}

export const pageInput = (flags: {
  readonly limit: Option.Option<number>
  readonly order: Option.Option<"asc" | "desc">
  readonly cursor: Option.Option<string>
}) => ({
  limit: Option.getOrUndefined(flags.limit),
  order: Option.getOrUndefined(flags.order),
  cursor: Option.getOrUndefined(flags.cursor)
})

/** `--header Name=value`, repeatable. */
export const headers = (description: string) =>
  Options.text("header").pipe(
    Options.withAlias("H"),
    Options.withDescription(`${description}, as Name=value (repeatable)`),
    Options.repeated
  )

export const parseHeaders = (values: ReadonlyArray<string>): Effect.Effect<Record<string, string> | undefined, UsageError> =>
  Effect.suspend(() => {
    if (values.length === 0) return Effect.succeed(undefined)
    const out: Record<string, string> = {}
    for (const value of values) {
      const at = value.search(/[=:]/)
      if (at <= 0) return Effect.fail(new UsageError("invalid_header", `--header expects Name=value, got "${value}"`))
      out[value.slice(0, at).trim()] = value.slice(at + 1).trim()
    }
    return Effect.succeed(out)
  })

export const id = (name: string, description: string) => Args.text({ name }).pipe(Args.withDescription(description))

export const optionalText = (name: string, description: string) =>
  Options.text(name).pipe(Options.withDescription(description), Options.optional)

export const optionalInteger = (name: string, description: string) =>
  Options.integer(name).pipe(Options.withDescription(description), Options.optional)
