import type { DestinationId, SenderId } from "./Ids"

export interface RoutingTarget {
  readonly id: DestinationId
  readonly senderId: SenderId | null
  readonly eventTypes: ReadonlyArray<string> | null
  readonly topics: ReadonlyArray<string>
}

export interface RoutableEvent {
  readonly senderId: SenderId
  readonly type: string
  readonly topics: ReadonlyArray<string>
  readonly onlyForDestinations?: ReadonlyArray<DestinationId> | null | undefined
}

/**
 * Patterns (destination event types and topics) are dot-separated segments where `*` stands for a
 * whole segment: `payment.*.failed` matches `payment.card.failed`. A `*` as the last segment matches
 * one or more segments, so `payment.*` covers everything under `payment` and `*` alone matches all.
 */
const WILDCARD = "*"

/** Why a pattern is refused, or undefined when it is well formed. */
export const patternProblem = (pattern: string): string | undefined => {
  if (!pattern.includes(WILDCARD)) return undefined
  const segments = pattern.split(".")
  if (segments.some((segment) => segment === "")) return "a wildcard pattern must not have empty segments"
  if (segments.some((segment) => segment !== WILDCARD && segment.includes(WILDCARD))) {
    return "`*` must stand for a whole segment (like `payment.*`), not part of one"
  }
  return undefined
}

/** Whether `value` (an event type or topic) matches `pattern`. */
export const matchesPattern = (pattern: string, value: string): boolean => {
  if (!pattern.includes(WILDCARD)) return pattern === value
  const want = pattern.split(".")
  const have = value.split(".")
  for (let i = 0; i < want.length; i++) {
    if (i >= have.length) return false
    if (want[i] === WILDCARD) {
      if (i === want.length - 1) return true
      continue
    }
    if (want[i] !== have[i]) return false
  }
  return want.length === have.length
}

const topicsMatch = (target: RoutingTarget, event: RoutableEvent) =>
  target.topics.length === 0 ||
  target.topics.some((pattern) => event.topics.some((topic) => matchesPattern(pattern, topic)))

/** Everything but the event type, which the index decides. */
const othersMatch = (target: RoutingTarget, event: RoutableEvent) =>
  (target.senderId === null || target.senderId === event.senderId) &&
  topicsMatch(target, event) &&
  (event.onlyForDestinations == null || event.onlyForDestinations.includes(target.id))

/**
 * A destination receives an event when its sender (if any), event types (null = all) and topics
 * (empty = all, otherwise at least one matching) match, and the event did not name other destinations.
 */
export const matches = (target: RoutingTarget, event: RoutableEvent): boolean =>
  (target.eventTypes === null || target.eventTypes.some((pattern) => matchesPattern(pattern, event.type))) &&
  othersMatch(target, event)

/** One trie node per pattern prefix. */
interface Node {
  readonly children: Map<string, Node>
  /** Targets whose pattern ends exactly here. */
  readonly ends: Array<number>
  /** Targets whose pattern ends with a trailing `*` here: they take one or more further segments. */
  readonly rest: Array<number>
}

const node = (): Node => ({ children: new Map(), ends: [], rest: [] })

/**
 * The destinations of one tenant indexed by event-type pattern, so routing an event looks only at
 * destinations whose types can match it (a trie walk over the type's segments), never at the rest.
 */
export interface RoutingTable {
  readonly targets: ReadonlyArray<RoutingTarget>
  readonly route: (event: RoutableEvent) => ReadonlyArray<DestinationId>
}

export const routingTable = (targets: ReadonlyArray<RoutingTarget>): RoutingTable => {
  const root = node()
  const anyType: Array<number> = []
  targets.forEach((target, index) => {
    if (target.eventTypes === null) return anyType.push(index)
    for (const pattern of new Set(target.eventTypes)) {
      const segments = pattern.includes(WILDCARD) ? pattern.split(".") : [pattern]
      let at = root
      segments.forEach((segment, depth) => {
        if (segment === WILDCARD && depth === segments.length - 1) {
          at.rest.push(index)
          return
        }
        let next = at.children.get(segment)
        if (next === undefined) at.children.set(segment, next = node())
        at = next
        if (depth === segments.length - 1) at.ends.push(index)
      })
    }
  })

  const collect = (at: Node, segments: ReadonlyArray<string>, depth: number, into: Set<number>) => {
    if (depth === segments.length) {
      for (const index of at.ends) into.add(index)
      return
    }
    for (const index of at.rest) into.add(index)
    const exact = at.children.get(segments[depth])
    if (exact !== undefined) collect(exact, segments, depth + 1, into)
    const any = at.children.get(WILDCARD)
    if (any !== undefined && segments[depth] !== WILDCARD) collect(any, segments, depth + 1, into)
  }

  return {
    targets,
    route: (event) => {
      const candidates = new Set<number>(anyType)
      // Exact types are stored whole (one lookup); patterns segment by segment.
      const exact = root.children.get(event.type)
      if (exact !== undefined) for (const index of exact.ends) candidates.add(index)
      if (event.type.includes(".") || root.rest.length > 0 || root.children.has(WILDCARD)) {
        const segments = event.type.split(".")
        if (segments.length > 1) collect(root, segments, 0, candidates)
        else for (const index of root.rest) candidates.add(index)
      }
      const routed: Array<DestinationId> = []
      // Index order is the targets' order, so routes do not depend on which pattern found them.
      for (const index of [...candidates].sort((a, b) => a - b)) {
        if (othersMatch(targets[index], event)) routed.push(targets[index].id)
      }
      return routed
    }
  }
}
