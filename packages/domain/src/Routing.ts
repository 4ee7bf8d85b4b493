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
 * A destination receives an event when its sender (if any), event types (null = all) and topics
 * (empty = all, otherwise at least one shared) match, and the event did not name other destinations.
 */
export const matches = (target: RoutingTarget, event: RoutableEvent): boolean =>
  (target.senderId === null || target.senderId === event.senderId) &&
  (target.eventTypes === null || target.eventTypes.includes(event.type)) &&
  (target.topics.length === 0 || target.topics.some((topic) => event.topics.includes(topic))) &&
  (event.onlyForDestinations == null || event.onlyForDestinations.includes(target.id))
