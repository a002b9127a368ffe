/** The chart of `npm run bench:scale`: goodput and wasted calls per scenario, shared limiter beside per instance. */

/** What the chart reads from a row of scale.json. */
export interface ChartRow {
  mode: 'redis' | 'local'
  limit: 'known' | 'unknown'
  overload: number
  fleetSize: number
  goodput: number
  wasted: number
}

const COLORS = { redis: '#3b7dd8', local: '#b0b0b0' }
const BAR = 9
const LABEL_WIDTH = 190
const PANEL_WIDTH = 230

/** An SVG with one line per scenario: goodput (share of the quota) on the left, wasted calls on the right. */
export function scaleChart(rows: ChartRow[], quotaQps: number): string {
  const scenarios = [...new Set(rows.map(scenarioOf))]
  const find = (scenario: string, mode: ChartRow['mode']) =>
    rows.find((row) => scenarioOf(row) === scenario && row.mode === mode)
  const wastedMax = Math.max(0.05, ...rows.map((row) => row.wasted))
  const lines = scenarios.map((scenario, i) => {
    const y = 70 + i * (2 * BAR + 10)
    const bars = (['redis', 'local'] as const).map((mode, j) => {
      const row = find(scenario, mode)
      if (!row) return ''
      const top = y + j * BAR
      const goodput = Math.min(1, row.goodput) * PANEL_WIDTH
      const wasted = (row.wasted / wastedMax) * PANEL_WIDTH
      const wastedX = LABEL_WIDTH + PANEL_WIDTH + 60
      return `<rect x="${LABEL_WIDTH}" y="${top}" width="${goodput.toFixed(1)}" height="${BAR - 1}" fill="${COLORS[mode]}"/>
  <text x="${(LABEL_WIDTH + goodput + 4).toFixed(1)}" y="${top + 8}" font-size="9">${pct(row.goodput)}</text>
  <rect x="${wastedX}" y="${top}" width="${Math.max(1, wasted).toFixed(1)}" height="${BAR - 1}" fill="${COLORS[mode]}"/>
  <text x="${(wastedX + Math.max(1, wasted) + 4).toFixed(1)}" y="${top + 8}" font-size="9">${pct(row.wasted)}</text>`
    })
    return `<text x="10" y="${y + 13}" font-size="11">${scenario}</text>
  ${bars.join('\n  ')}`
  })
  const height = 70 + scenarios.length * (2 * BAR + 10) + 20
  const wastedX = LABEL_WIDTH + PANEL_WIDTH + 60
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${wastedX + PANEL_WIDTH + 60}" height="${height}" font-family="sans-serif">
  <text x="10" y="22" font-size="15" font-weight="bold">Simulated FC fleets under overload, quota ${quotaQps}/s (npm run bench:scale)</text>
  <rect x="10" y="34" width="10" height="10" fill="${COLORS.redis}"/><text x="24" y="43" font-size="11">shared limiter (Redis)</text>
  <rect x="170" y="34" width="10" height="10" fill="${COLORS.local}"/><text x="184" y="43" font-size="11">per instance</text>
  <text x="${LABEL_WIDTH}" y="62" font-size="12" font-weight="bold">goodput (share of the quota)</text>
  <text x="${wastedX}" y="62" font-size="12" font-weight="bold">wasted calls (throttled / all)</text>
  ${lines.join('\n  ')}
</svg>
`
}

function scenarioOf(row: ChartRow): string {
  return `${row.limit} quota, ${row.overload}×, N = ${row.fleetSize}`
}

function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`
}
