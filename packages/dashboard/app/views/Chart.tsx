/** Events and deliveries per minute as grouped bars (SVG: no chart library, scales with its box). */
export interface Bucket {
  readonly start: number
  readonly events: number
  readonly deliveries: number
}

const WIDTH = 600
const HEIGHT = 160
const PAD = 18

export const PerMinuteChart = (props: { readonly buckets: ReadonlyArray<Bucket> }) => {
  const max = Math.max(1, ...props.buckets.flatMap((b) => [b.events, b.deliveries]))
  const slot = (WIDTH - PAD) / Math.max(1, props.buckets.length)
  const bar = Math.max(1, slot / 2 - 1)
  const y = (value: number) => HEIGHT - PAD - (value / max) * (HEIGHT - 2 * PAD)
  const total = props.buckets.reduce((sum, b) => ({ e: sum.e + b.events, d: sum.d + b.deliveries }), { e: 0, d: 0 })
  const label = (start: number) => new Date(start).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`Per minute over the last ${props.buckets.length} minutes: ${total.e} events, ${total.d} deliveries in all; at most ${max} in one minute.`}
        preserveAspectRatio="none"
      >
        <text x="0" y="12" class="axis">{max}</text>
        <line x1={PAD} x2={WIDTH} y1={HEIGHT - PAD} y2={HEIGHT - PAD} class="baseline" />
        {props.buckets.map((b, i) => {
          const x = PAD + i * slot
          return (
            <g key={b.start}>
              <rect class="events" x={x} y={y(b.events)} width={bar} height={HEIGHT - PAD - y(b.events)}>
                <title>{`${label(b.start)}: ${b.events} events`}</title>
              </rect>
              <rect class="deliveries" x={x + bar} y={y(b.deliveries)} width={bar} height={HEIGHT - PAD - y(b.deliveries)}>
                <title>{`${label(b.start)}: ${b.deliveries} deliveries`}</title>
              </rect>
              {i % 10 === 0 && <text x={x} y={HEIGHT - 4} class="axis">{label(b.start)}</text>}
            </g>
          )
        })}
      </svg>
      <figcaption>
        <span class="key events" aria-hidden="true" /> Events <span class="key deliveries" aria-hidden="true" /> Deliveries
        {" "}per minute, last {props.buckets.length} minutes
      </figcaption>
    </figure>
  )
}
