/**
 * Values of many rows as one statement parameter, space-separated, for `string_to_array($n, ' ')`:
 * the driver sends a string as it is, while it escapes each element of an array parameter (a cost
 * per row on the hot path). Only for values that never hold a space: ids, numbers, statuses.
 */
export const spaceSeparated = (length: number, valueAt: (index: number) => string | number): string => {
  let text = ""
  for (let i = 0; i < length; i++) text += i === 0 ? valueAt(i) : ` ${valueAt(i)}`
  return text
}
