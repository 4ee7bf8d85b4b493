import { useLayoutEffect, useState } from "preact/hooks"
import { ApiFailure, fieldErrors, type TenantApi } from "../api"
import { ErrorText, Loading, PageHeader } from "../components"
import { usePoll } from "../poll"
import { href, navigate } from "../route"
import type { Destination } from "../types"
import { revealSecret } from "./secrets"

/** What the form sends for an empty field: absent, so the API applies its default. */
const numberOrRaw = (value: string): number | string | undefined =>
  value.trim() === "" ? undefined : Number.isFinite(Number(value)) ? Number(value) : value

const list = (value: string): Array<string> => value.split(/[,\s]+/).filter((part) => part !== "")

const parseHeaders = (text: string): Record<string, string> | string => {
  const headers: Record<string, string> = {}
  for (const line of text.split("\n").map((l) => l.trim()).filter((l) => l !== "")) {
    const colon = line.indexOf(":")
    if (colon <= 0) return `"${line}" is not "Name: value"`
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim()
  }
  return headers
}

/** The API's field paths, in the order the form shows them. */
const fields = [
  "name", "variant.url", "variant.method", "eventTypes", "topics", "senderId", "description",
  "retry.type", "retry.delaySeconds", "retry.maxAttempts", "timeoutSeconds", "maxConcurrency",
  "rateLimitPerSecond", "headers"
] as const
type Field = typeof fields[number]
const inputId = (field: Field) => `f-${field.replace(".", "-")}`

const Input = (props: {
  readonly field: Field
  readonly label: string
  readonly errors: Record<string, string>
  readonly hint?: string
  readonly children: (attrs: Record<string, unknown>) => preact.JSX.Element
}) => {
  const id = inputId(props.field)
  const error = props.errors[props.field]
  const described = [props.hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter((s) => s !== "").join(" ")
  return (
    <div class={`field ${error ? "invalid" : ""}`}>
      <label for={id}>{props.label}</label>
      {props.children({
        id,
        name: props.field,
        "aria-invalid": error ? "true" : undefined,
        "aria-describedby": described === "" ? undefined : described
      })}
      {props.hint && <p class="hint" id={`${id}-hint`}>{props.hint}</p>}
      {error && <p class="field-error" id={`${id}-error`}>{error}</p>}
    </div>
  )
}

/** Create (no `destinationId`) or edit a destination; the API's validation errors appear next to their fields. */
export const DestinationForm = (props: { readonly api: TenantApi; readonly destinationId?: string }) => {
  const existing = usePoll(
    `destination-form:${props.destinationId ?? "new"}`,
    (signal) =>
      props.destinationId === undefined
        ? Promise.resolve(undefined)
        : props.api.get<Destination>(`/destinations/${props.destinationId}`, undefined, signal),
    0
  )
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [failure, setFailure] = useState<unknown>()
  const [busy, setBusy] = useState(false)

  // Take the user to the first field that needs fixing, in the same frame that shows its error (an
  // effect ran after the paint: the error showed while focus still sat on the submit button).
  useLayoutEffect(() => {
    const first = fields.find((field) => errors[field] !== undefined)
    if (first !== undefined) document.getElementById(inputId(first))?.focus()
  }, [errors])

  const submit = async (event: SubmitEvent) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget as HTMLFormElement)
    const text = (name: Field) => String(form.get(name) ?? "")
    const headers = parseHeaders(text("headers"))
    if (typeof headers === "string") {
      setErrors({ headers })
      return
    }
    const body = {
      name: text("name"),
      description: text("description").trim() === "" ? null : text("description"),
      senderId: text("senderId").trim() === "" ? null : text("senderId").trim(),
      variant: { type: "http_endpoint", url: text("variant.url").trim(), method: text("variant.method") },
      eventTypes: list(text("eventTypes")).length === 0 ? null : list(text("eventTypes")),
      topics: list(text("topics")),
      retry: {
        type: text("retry.type"),
        delaySeconds: numberOrRaw(text("retry.delaySeconds")),
        maxAttempts: numberOrRaw(text("retry.maxAttempts"))
      },
      timeoutSeconds: numberOrRaw(text("timeoutSeconds")),
      maxConcurrency: numberOrRaw(text("maxConcurrency")),
      rateLimitPerSecond: text("rateLimitPerSecond").trim() === "" ? null : numberOrRaw(text("rateLimitPerSecond")),
      headers
    }
    setBusy(true)
    setFailure(undefined)
    try {
      const saved = props.destinationId === undefined
        ? await props.api.post<Destination>("/destinations", body)
        : await props.api.patch<Destination>(`/destinations/${props.destinationId}`, body)
      if (props.destinationId === undefined) revealSecret(saved.id, saved.webhook.signingSecret)
      navigate("destinations", saved.id)
    } catch (error) {
      const byField = fieldErrors(error)
      setErrors(byField)
      // Errors without a field of this form (or without details at all) are shown above it.
      if (!(error instanceof ApiFailure) || Object.keys(byField).every((f) => !(fields as ReadonlyArray<string>).includes(f))) {
        setFailure(error)
      }
    } finally {
      setBusy(false)
    }
  }

  if (existing.error !== undefined) return <ErrorText error={existing.error} />
  if (props.destinationId !== undefined && existing.data === undefined) return <Loading />
  const d = existing.data
  const title = d === undefined ? "New destination" : `Edit ${d.name}`
  const fieldProps = { errors }

  return (
    <section>
      <PageHeader title={title} />
      <form class="card form" onSubmit={submit} noValidate>
        <ErrorText error={failure} />
        {Object.keys(errors).length > 0 && (
          <p class="error" role="alert">Please correct the {Object.keys(errors).length === 1 ? "field" : "fields"} marked below.</p>
        )}
        <Input field="name" label="Name" {...fieldProps}>{(a) => <input {...a} defaultValue={d?.name ?? ""} />}</Input>
        <div class="row">
          <Input field="variant.url" label="URL" hint="http(s) URL that receives the signed POSTs" {...fieldProps}>
            {(a) => <input {...a} type="url" inputMode="url" defaultValue={d?.variant.url ?? ""} placeholder="https://example.com/webhooks" />}
          </Input>
          <Input field="variant.method" label="Method" {...fieldProps}>
            {(a) => (
              <select {...a} defaultValue={d?.variant.method ?? "POST"}>
                {["POST", "PUT", "PATCH", "GET", "DELETE"].map((m) => <option key={m}>{m}</option>)}
              </select>
            )}
          </Input>
        </div>
        <Input field="eventTypes" label="Event types" hint="Comma separated; empty for all types" {...fieldProps}>
          {(a) => <input {...a} defaultValue={d?.eventTypes?.join(", ") ?? ""} placeholder="payment.created, payment.refunded" />}
        </Input>
        <div class="row">
          <Input field="topics" label="Topics" hint="Comma separated; empty for any topic" {...fieldProps}>
            {(a) => <input {...a} defaultValue={d?.topics.join(", ") ?? ""} />}
          </Input>
          <Input field="senderId" label="Sender ID" hint="Only this sender's events; empty for all" {...fieldProps}>
            {(a) => <input {...a} defaultValue={d?.senderId ?? ""} placeholder="snd_…" />}
          </Input>
        </div>
        <Input field="description" label="Description" {...fieldProps}>
          {(a) => <textarea {...a} rows={2} defaultValue={d?.description ?? ""} />}
        </Input>
        <fieldset>
          <legend>Retries</legend>
          <div class="row">
            <Input field="retry.type" label="Policy" {...fieldProps}>
              {(a) => (
                <select {...a} defaultValue={d?.retry.type ?? "exponential"}>
                  <option value="exponential">Exponential</option>
                  <option value="linear">Linear</option>
                </select>
              )}
            </Input>
            <Input field="retry.delaySeconds" label="Delay (seconds)" {...fieldProps}>
              {(a) => <input {...a} inputMode="numeric" defaultValue={String(d?.retry.delaySeconds ?? 30)} />}
            </Input>
            <Input field="retry.maxAttempts" label="Max attempts" {...fieldProps}>
              {(a) => <input {...a} inputMode="numeric" defaultValue={String(d?.retry.maxAttempts ?? 8)} />}
            </Input>
          </div>
        </fieldset>
        <fieldset>
          <legend>Limits</legend>
          <div class="row">
            <Input field="timeoutSeconds" label="Timeout (seconds)" {...fieldProps}>
              {(a) => <input {...a} inputMode="numeric" defaultValue={String(d?.timeoutSeconds ?? 30)} />}
            </Input>
            <Input field="maxConcurrency" label="Max concurrency" {...fieldProps}>
              {(a) => <input {...a} inputMode="numeric" defaultValue={String(d?.maxConcurrency ?? 10)} />}
            </Input>
            <Input field="rateLimitPerSecond" label="Rate limit (per second)" hint="Empty for none" {...fieldProps}>
              {(a) => <input {...a} inputMode="numeric" defaultValue={d?.rateLimitPerSecond === null || d === undefined ? "" : String(d.rateLimitPerSecond)} />}
            </Input>
          </div>
        </fieldset>
        <Input field="headers" label="Custom headers" hint="One per line: Name: value" {...fieldProps}>
          {(a) => (
            <textarea {...a} rows={3} class="mono"
              defaultValue={Object.entries(d?.headers ?? {}).map(([k, v]) => `${k}: ${v}`).join("\n")} />
          )}
        </Input>
        <div class="form-actions">
          <button type="submit" disabled={busy}>{d === undefined ? "Create destination" : "Save changes"}</button>
          <a class="button secondary" href={d === undefined ? href("destinations") : href("destinations", d.id)}>Cancel</a>
        </div>
      </form>
    </section>
  )
}
