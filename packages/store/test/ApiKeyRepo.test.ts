import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { hashApiKey } from "@signal/domain/ApiKeySecret"
import { Effect, Layer, Option, TestClock } from "effect"
import { ApiKeyRepo, DEFAULT_API_KEY_CACHE_MS } from "../src/ApiKeyRepo"
import { TenantRepo } from "../src/TenantRepo"
import * as TestDatabase from "../src/TestDatabase"

const layer = Layer.provideMerge(Layer.mergeAll(ApiKeyRepo.Default, TenantRepo.Default), TestDatabase.layer)

/** A tenant with a new key: its plaintext and id. */
const newKey = Effect.gen(function*() {
  const tenants = yield* TenantRepo
  const keys = yield* ApiKeyRepo
  const tenant = yield* tenants.upsert({ identifier: `t${Math.random()}`, name: "T" })
  const created = yield* keys.create(tenant.id, { name: "k" })
  return { tenantId: tenant.id, id: created.id, hash: hashApiKey(created.key) }
})

describe("ApiKeyRepo.authenticate", () => {
  it.layer(layer, { timeout: 120_000 })((it) => {
    it.effect("remembers a live key for a few seconds; a revoke through the repository drops it at once", () =>
      Effect.gen(function*() {
        const keys = yield* ApiKeyRepo
        const sql = yield* SqlClient.SqlClient
        const { hash, id, tenantId } = yield* newKey
        expect(yield* keys.authenticate(hash)).toEqual(Option.some({ keyId: id, tenantId }))

        // Revoked by another process: this one keeps trusting the key until its memory of it expires.
        yield* sql`UPDATE api_keys SET revoked_at = now() WHERE id = ${id}`
        expect(Option.isSome(yield* keys.authenticate(hash))).toBe(true)
        yield* TestClock.adjust(DEFAULT_API_KEY_CACHE_MS)
        expect(yield* keys.authenticate(hash)).toEqual(Option.none())

        // Revoked through this process: refused at the next request.
        const other = yield* newKey
        expect(Option.isSome(yield* keys.authenticate(other.hash))).toBe(true)
        yield* keys.revoke(other.tenantId, other.id)
        expect(yield* keys.authenticate(other.hash)).toEqual(Option.none())
        // Unknown keys are never remembered: one created meanwhile works at once.
        expect(yield* keys.authenticate(hashApiKey("sk_unknown"))).toEqual(Option.none())
      }))
  })
})
