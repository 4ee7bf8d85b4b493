import { makeId } from "@signal/domain/Ids"
import { Sender } from "@signal/domain/Sender"
import { Effect } from "effect"
import { makeIdentifiedRepo } from "./IdentifiedRepo"

export class SenderRepo extends Effect.Service<SenderRepo>()("@signal/store/SenderRepo", {
  effect: makeIdentifiedRepo({ table: "senders", spanPrefix: "SenderRepo", newId: makeId.sender, make: (fields) => new Sender(fields) })
}) {}
