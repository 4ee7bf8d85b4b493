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
  /^(number|string|boolean|bigint)$/.test(type) ? `a ${type}`
  : /^(Struct|\{|Record|TypeLiteral)/.test(type) ? "an object"
  : /^(ReadonlyArray|Array|readonly \[|\[)/.test(type) || /\[\]$/.test(type) ? "a list"
  : /(Encoded side|Type side|<->)/.test(type) ? "a valid value"
  : type

/** Schema's names for what a value decodes into, in words (`Unable to decode "x" into a DateTime.Utc`). */
const describeTarget = (target: string): string =>
  /DateTime/.test(target) ? "an ISO 8601 date-time" : describeType(target)

/** What an issue expected and what it got instead, when Schema's message says so. */
const expectation = (issue: SchemaIssue): { readonly what: string; readonly actual: string | undefined } | undefined => {
  const expected = /^Expected ([\s\S]*?)(?:, actual ([\s\S]*))?$/.exec(issue.message)
  if (expected !== null) {
    const what = describeType(expected[1]!).replace(/^an? (?:number|integer|string|array) (?=(?:between|greater|less|at least|at most)\b)/, "")
    return { what, actual: expected[2] }
  }
  const undecodable = /^Unable to decode ([\s\S]*) into ([\s\S]+)$/.exec(issue.message)
  return undecodable === null ? undefined : { what: describeTarget(undecodable[2]!), actual: undecodable[1] }
}

const got = (actual: string | undefined) =>
  actual === undefined ? "" : ` (got ${actual.length > 60 ? `${actual.slice(0, 57)}…` : actual})`

/**
 * `Expected a number between 1 and 100, actual 500` → `must be between 1 and 100 (got 500)`; the
 * alternatives of a union (`Expected "asc"`, `Expected "desc"`) → `must be "asc" or "desc" (got …)`.
 * A message of our own (a filter's) is a predicate already: `must be a dst_… id`.
 */
const phrase = (issues: ReadonlyArray<SchemaIssue>): string => {
  const first = issues[0]!
  if (first._tag === "Missing") return "is missing"
  if (first._tag === "Unexpected") return "is not a known field"
  const head = expectation(first)
  if (head === undefined) return first.message
  // a union's members each report a `Type` issue; refinements of one value all had to hold
  const alternatives: Array<string> = []
  for (const issue of issues) {
    const expected = issue._tag === "Type" && first._tag === "Type" ? expectation(issue) : undefined
    if (expected === undefined || expected.actual !== head.actual) return `must be ${head.what}${got(head.actual)}`
    if (!alternatives.includes(expected.what)) alternatives.push(expected.what)
  }
  return `must be ${alternatives.join(" or ")}${got(head.actual)}`
}

const startsWith = (path: ReadonlyArray<PropertyKey>, prefix: ReadonlyArray<PropertyKey>) =>
  prefix.length <= path.length && prefix.every((key, i) => path[i] === key)

/** The other branch of `optional` or `NullOr`: it says nothing when another issue explains the value. */
const absentBranch = /^Expected (?:undefined|null)\b/

/**
 * One problem per field, every issue of the field in one sentence; an absent branch's issue
 * ("Expected undefined", "Expected null") only when no deeper or sibling issue explains the value.
 */
export const problems = (issues: ReadonlyArray<SchemaIssue>): ReadonlyArray<Problem> => {
  const telling = issues.filter((issue) =>
    !(absentBranch.test(issue.message) &&
      issues.some((other) => other !== issue && !absentBranch.test(other.message) && startsWith(other.path, issue.path)))
  )
  const byField = new Map<string, Array<SchemaIssue>>()
  for (const issue of telling) {
    const name = fieldName(issue.path)
    const field = byField.get(name)
    if (field === undefined) byField.set(name, [issue])
    else field.push(issue)
  }
  return Array.from(byField, ([name, field]) => ({ path: field[0]!.path, message: `${name} ${phrase(field)}` }))
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

/**
 * Annotation for request bodies: every problem, and a field the contract does not know is one of
 * them, so a misspelt `payLoad` is answered "not a known field" instead of being dropped unseen.
 */
export const everyBodyProblem = { parseOptions: { errors: "all", onExcessProperty: "error" } } as const
