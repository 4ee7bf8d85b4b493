/**
 * What a person reads when a request breaks the contract: one sentence per problem
 * (`eventType is missing`, `retry.maxAttempts must be between 1 and 100 (got 500)`), named by
 * the field's dotted path. The server answers with these and the client says the same before it
 * sends anything, so the wording is one everywhere.
 */
import { ParseResult } from "effect"

/** One problem of a request: where (`["retry", "maxAttempts"]`, empty for the whole body) and what. */
export interface Problem {
  readonly path: ReadonlyArray<PropertyKey>
  /** The whole sentence, field name first. */
  readonly message: string
}

/** What `ParseResult.ArrayFormatter` (and `HttpApiDecodeError.issues`) reports. */
export interface SchemaIssue {
  readonly _tag: string
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}

const fieldName = (path: ReadonlyArray<PropertyKey>) =>
  path.length === 0 ? "the request" : path.map((key) => (typeof key === "number" ? `[${key}]` : String(key))).join(".").replace(/\.\[/g, "[")

/** Schema's names for composite types, in words. */
const describeType = (type: string): string =>
  /^(Struct|\{|Record|TypeLiteral)/.test(type) ? "an object"
  : /^(ReadonlyArray|Array|readonly \[|\[)/.test(type) || /\[\]$/.test(type) ? "a list"
  : /(Encoded side|Type side|<->)/.test(type) ? "a valid value"
  : type

/** `Expected a number between 1 and 100, actual 500` → `must be between 1 and 100 (got 500)`. */
const phrase = (issue: SchemaIssue): string => {
  if (issue._tag === "Missing") return "is missing"
  if (issue._tag === "Unexpected") return "is not a known field"
  const expected = /^Expected ([\s\S]*?)(?:, actual ([\s\S]*))?$/.exec(issue.message)
  if (expected === null) return issue.message
  const what = describeType(expected[1]!).replace(/^an? (?:number|integer|string|array) (?=(?:between|greater|less|at least|at most)\b)/, "")
  const actual = expected[2]
  return actual === undefined ? `must be ${what}` : `must be ${what} (got ${actual.length > 60 ? `${actual.slice(0, 57)}…` : actual})`
}

const startsWith = (path: ReadonlyArray<PropertyKey>, prefix: ReadonlyArray<PropertyKey>) =>
  prefix.length <= path.length && prefix.every((key, i) => path[i] === key)

/**
 * One problem per field, the most telling one: an optional field's "Expected undefined" (the other
 * branch of `optional`) says nothing when a deeper or sibling issue explains the value.
 */
export const problems = (issues: ReadonlyArray<SchemaIssue>): ReadonlyArray<Problem> => {
  const telling = issues.filter((issue) =>
    !(/^Expected undefined\b/.test(issue.message) &&
      issues.some((other) => other !== issue && !/^Expected undefined\b/.test(other.message) && startsWith(other.path, issue.path)))
  )
  const seen = new Set<string>()
  const out: Array<Problem> = []
  for (const issue of telling) {
    const name = fieldName(issue.path)
    if (seen.has(name)) continue
    seen.add(name)
    out.push({ path: issue.path, message: `${name} ${phrase(issue)}` })
  }
  return out
}

/** All problems as one message: their sentences joined with "; ". */
export const problemsMessage = (list: ReadonlyArray<Problem>): string =>
  list.length === 0 ? "the request does not match the API" : list.map((problem) => problem.message).join("; ")

/** The problems of a failed decode. */
export const problemsOfParseError = (error: ParseResult.ParseError): ReadonlyArray<Problem> =>
  problems(ParseResult.ArrayFormatter.formatErrorSync(error))

/**
 * Annotation for request schemas: decoding reports every problem, not just the first, so one
 * answer tells what to fix everywhere.
 */
export const everyProblem = { parseOptions: { errors: "all" } } as const
