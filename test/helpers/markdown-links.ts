/** Finds the relative links of Markdown documents that lead nowhere: a missing file or a missing heading. */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'

/** A link that does not resolve, with the document it appears in. */
export interface BrokenLink {
  document: string
  target: string
  reason: string
}

/**
 * The anchors GitHub gives a document's headings: lower case, punctuation dropped, spaces as hyphens,
 * a repeated heading suffixed `-1`, `-2`….
 *
 * @param markdown the document's text
 */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  for (const line of withoutCodeBlocks(markdown).split('\n')) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!heading) continue
    const base = (heading[1] ?? '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    anchors.add(count === 0 ? base : `${base}-${count}`)
  }
  return anchors
}

/**
 * Every relative link (and image) in the given documents whose file or `#anchor` does not exist.
 * Links to other sites (`http:`, `https:`, `mailto:`) are not followed.
 *
 * @param documents paths of Markdown files
 */
export function brokenLinks(documents: string[]): BrokenLink[] {
  const broken: BrokenLink[] = []
  for (const document of documents) {
    const text = withoutCodeBlocks(readFileSync(document, 'utf8'))
    for (const [, target = ''] of text.matchAll(/!?\[[^\]]*\]\(<?([^)\s>]+)>?(?:\s+"[^"]*")?\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue
      const [path = '', anchor] = target.split('#')
      const file = path === '' ? document : join(dirname(document), decodeURI(path))
      if (!existsSync(file)) {
        broken.push({ document, target, reason: `no file ${relative('.', file)}` })
      } else if (anchor !== undefined) {
        const isMarkdown = statSync(file).isFile() && file.endsWith('.md')
        if (!isMarkdown || !headingAnchors(readFileSync(file, 'utf8')).has(anchor)) {
          broken.push({ document, target, reason: `no heading #${anchor} in ${relative('.', file)}` })
        }
      }
    }
  }
  return broken
}

// Links and headings inside fenced code are examples, not links.
function withoutCodeBlocks(markdown: string): string {
  return markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
    .replace(/`[^`\n]*`/g, (code) => code.replace(/[[\]()#]/g, ' '))
}
