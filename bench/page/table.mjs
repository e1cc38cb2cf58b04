// The page bench's one table printer: rows as a markdown table, the first
// column left-aligned and the rest right-aligned, numbers grouped by
// thousands.

/** `rows` (objects) as a markdown table of `columns` (their keys). */
export function table(rows, columns) {
  const cell = (v) =>
    (typeof v === "number" ? v.toLocaleString("en-US") : String(v ?? "")).replaceAll("|", "\\|");
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (values) =>
    "| " + values.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join(" | ") + " |";
  return [
    line(columns),
    "|" + widths.map((w, i) => (i === 0 ? ":" : "-") + "-".repeat(w) + (i === 0 ? "-" : ":")).join("|") + "|",
    ...cells.map(line),
  ].join("\n");
}
