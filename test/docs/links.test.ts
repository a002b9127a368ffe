import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { brokenLinks, headingAnchors } from '../helpers/markdown-links.js'

const documents = [
  'README.md',
  ...readdirSync('docs')
    .filter((name) => name.endsWith('.md'))
    .map((name) => join('docs', name)),
]

describe('the documentation', () => {
  it('has README.md and the four guides', () => {
    // Assess
    expect(documents.sort()).toEqual(
      expect.arrayContaining([
        'README.md',
        'docs/local-development.md',
        'docs/operations.md',
        'docs/performance.md',
        'docs/security.md',
      ]),
    )
  })

  it('resolves every relative link in README.md and docs/*.md, files and #anchors', () => {
    // Act
    const broken = brokenLinks(documents)

    // Assess
    expect(broken).toEqual([])
  })

  it('keeps README.md to at most 250 lines', () => {
    // Act
    const lines = readFileSync('README.md', 'utf8').trimEnd().split('\n').length

    // Assess
    expect(lines).toBeLessThanOrEqual(250)
  })
})

describe('the link check', () => {
  it('reports a missing file, a missing heading and a missing image, and accepts the rest', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'links-'))
    mkdirSync(join(dir, 'docs'))
    writeFileSync(join(dir, 'docs', 'guide.md'), '# The guide\n\n## Retries, and `Retry-After`\n')
    writeFileSync(
      join(dir, 'README.md'),
      [
        '# Front door',
        '[ok](docs/guide.md#retries-and-retry-after) [self](#front-door) [site](https://example.com/x)',
        '[gone](docs/missing.md) [wrong anchor](docs/guide.md#retries) ![chart](img/chart.svg)',
        '```sh',
        '[in code](nowhere.md)',
        '```',
      ].join('\n'),
    )

    // Act
    const broken = brokenLinks([join(dir, 'README.md')])

    // Assess
    expect(broken.map((link) => link.target)).toEqual([
      'docs/missing.md',
      'docs/guide.md#retries',
      'img/chart.svg',
    ])
  })

  it.each([
    ['## Throttling, retries and deadlines', 'throttling-retries-and-deadlines'],
    ['### The `iot-pub` CLI', 'the-iot-pub-cli'],
    ['## Side by side with pop-core', 'side-by-side-with-pop-core'],
    ['## Least-privilege RAM policy', 'least-privilege-ram-policy'],
  ])('gives the heading %s the anchor #%s', (heading, anchor) => {
    // Assess
    expect(headingAnchors(heading).has(anchor)).toBe(true)
  })

  it('numbers a repeated heading as GitHub does', () => {
    // Assess
    expect([...headingAnchors('## Logs\n## Logs\n')]).toEqual(['logs', 'logs-1'])
  })
})
