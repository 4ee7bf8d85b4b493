import { Schema } from "effect"
import { SenderId } from "./Ids"
import { Identifier, Name } from "./Tenant"
import { everyBodyProblem } from "./Problems"

export class Sender extends Schema.Class<Sender>("Sender")({
  id: SenderId,
  identifier: Schema.String,
  name: Schema.String,
  createdAt: Schema.DateTimeUtc,
  updatedAt: Schema.DateTimeUtc
}) {}

export const UpsertSender = Schema.Struct({
  identifier: Identifier,
  name: Name
}).annotations(everyBodyProblem)
export type UpsertSender = typeof UpsertSender.Type
