import type { ComponentChildren } from "preact"
import { describe } from "./api"
import { time } from "./format"

export const Stat = (props: { readonly label: string; readonly value: string; readonly tone?: "bad" | "good" | undefined }) => (
  <div class={`stat ${props.tone ?? ""}`}>
    <dt>{props.label}</dt>
    <dd>{props.value}</dd>
  </div>
)

export const Badge = (props: { readonly value: string }) => <span class={`badge badge-${props.value}`}>{props.value.replace("_", " ")}</span>

export const ErrorText = (props: { readonly error: unknown }) =>
  props.error === undefined ? null : <p class="error" role="alert">{describe(props.error)}</p>

/** "Live · updated 12:00:01": the data refreshes by itself; says so when the last refresh failed. */
export const Live = (props: { readonly polled: { readonly updatedAt: Date | undefined; readonly error: unknown } }) => (
  <span class="live" title="Refreshes automatically">
    <span class={`dot ${props.polled.error === undefined ? "" : "stale"}`} aria-hidden="true" />
    Live{props.polled.updatedAt ? ` · updated ${time(props.polled.updatedAt.toISOString())}` : ""}
    {props.polled.error !== undefined && props.polled.updatedAt !== undefined && (
      <span class="stale-text" role="status"> · refresh failed: {describe(props.polled.error)}</span>
    )}
  </span>
)

export const PageHeader = (props: { readonly title: string; readonly children?: ComponentChildren }) => (
  <div class="page-header">
    <h1 tabIndex={-1}>{props.title}</h1>
    <div class="actions">{props.children}</div>
  </div>
)

export const Loading = () => <p class="muted" role="status">Loading…</p>
