/**
 * Label and field selectors as kube-apiserver parses them (the common subset
 * of k8s.io/apimachinery/pkg/labels and pkg/fields). Parse errors throw with
 * the server's wording where it was checked ("unable to parse requirement:
 * …", "field label not supported: …"); other wordings are approximate.
 */

export type LabelRequirement =
  | {key: string; op: 'exists' | '!exists'}
  | {key: string; op: '=' | '!='; value: string}
  | {key: string; op: 'in' | 'notin'; values: string[]}
  | {key: string; op: 'gt' | 'lt'; value: number}

export class SelectorError extends Error {}

type Tok = {t: 'id' | 'op' | 'end'; v: string}

function tokenize(s: string): Tok[] {
  const toks: Tok[] = []
  let i = 0
  while (i < s.length) {
    const c = s[i]
    if (c === ' ' || c === '\t') {
      i++
      continue
    }
    if (c === '(' || c === ')' || c === ',') {
      toks.push({t: 'op', v: c})
      i++
      continue
    }
    if (c === '!' && s[i + 1] === '=') {
      toks.push({t: 'op', v: '!='})
      i += 2
      continue
    }
    if (c === '!') {
      toks.push({t: 'op', v: '!'})
      i++
      continue
    }
    if (c === '=' && s[i + 1] === '=') {
      toks.push({t: 'op', v: '=='})
      i += 2
      continue
    }
    if (c === '=') {
      toks.push({t: 'op', v: '='})
      i++
      continue
    }
    let j = i
    while (j < s.length && !' \t(),!='.includes(s[j])) j++
    const word = s.slice(i, j)
    toks.push({t: 'id', v: word})
    i = j
  }
  toks.push({t: 'end', v: ''})
  return toks
}

export function parseLabelSelector(sel: string | undefined): LabelRequirement[] {
  if (!sel || sel.trim() === '') return []
  const toks = tokenize(sel)
  let p = 0
  const peek = () => toks[p]
  const next = () => toks[p++]
  const reqs: LabelRequirement[] = []
  const expectedOps = 'in, notin, =, ==, !=, gt, lt'
  for (;;) {
    let r: LabelRequirement
    if (peek().t === 'op' && peek().v === '!') {
      next()
      const k = next()
      if (k.t !== 'id') throw new SelectorError(`unable to parse requirement: found '${k.v}', expected: identifier`)
      r = {key: k.v, op: '!exists'}
    } else {
      const k = next()
      if (k.t !== 'id') throw new SelectorError(`unable to parse requirement: found '${k.v}', expected: !, identifier`)
      const o = peek()
      if (o.t === 'end' || (o.t === 'op' && o.v === ',')) {
        r = {key: k.v, op: 'exists'}
      } else if (o.t === 'op' && (o.v === '=' || o.v === '==' || o.v === '!=')) {
        next()
        const v = peek()
        let value = ''
        if (v.t === 'id') {
          value = v.v
          next()
        }
        r = {key: k.v, op: o.v === '!=' ? '!=' : '=', value}
      } else if (o.t === 'id' && (o.v === 'in' || o.v === 'notin')) {
        next()
        const open = next()
        if (open.v !== '(') throw new SelectorError(`unable to parse requirement: found '${open.v}', expected: '('`)
        const values: string[] = []
        for (;;) {
          const v = next()
          if (v.t === 'id') values.push(v.v)
          else if (v.v === ',') continue
          else if (v.v === ')') break
          else throw new SelectorError(`unable to parse requirement: found '${v.v}', expected: ',', ')' or identifier`)
        }
        r = {key: k.v, op: o.v, values}
      } else if (o.t === 'id' && (o.v === 'gt' || o.v === 'lt')) {
        next()
        const v = next()
        const n = Number(v.v)
        if (v.t !== 'id' || !Number.isInteger(n)) throw new SelectorError(`unable to parse requirement: for 'gt', 'lt' operators, the value must be an integer`)
        r = {key: k.v, op: o.v, value: n}
      } else {
        throw new SelectorError(`unable to parse requirement: found '${o.v}', expected: ${expectedOps}`)
      }
    }
    reqs.push(r)
    const sep = next()
    if (sep.t === 'end') break
    if (sep.v !== ',') throw new SelectorError(`found '${sep.v}', expected: ',' or 'end of string'`)
  }
  return reqs
}

export function matchLabels(reqs: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {}
  const has = (k: string) => Object.prototype.hasOwnProperty.call(l, k)
  return reqs.every((r) => {
    switch (r.op) {
      case 'exists':
        return has(r.key)
      case '!exists':
        return !has(r.key)
      case '=':
        return has(r.key) && l[r.key] === r.value
      case '!=':
        return !has(r.key) || l[r.key] !== r.value
      case 'in':
        return has(r.key) && r.values.includes(l[r.key])
      case 'notin':
        return !has(r.key) || !r.values.includes(l[r.key])
      case 'gt':
      case 'lt': {
        if (!has(r.key)) return false
        const n = Number(l[r.key])
        if (!Number.isInteger(n)) return false
        return r.op === 'gt' ? n > r.value : n < r.value
      }
    }
  })
}

export interface FieldRequirement {
  field: string
  op: '=' | '!='
  value: string
}

/** Field selectors: `a=b`, `a==b`, `a!=b`, comma-AND; only `supported` field labels. */
export function parseFieldSelector(sel: string | undefined, supported: string[]): FieldRequirement[] {
  if (!sel || sel.trim() === '') return []
  const out: FieldRequirement[] = []
  for (const term of sel.split(',')) {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term.trim())
    if (!m) throw new SelectorError(`invalid selector: '${sel}'; can't understand '${term}'`)
    const field = m[1].trim()
    if (!supported.includes(field)) throw new SelectorError(`field label not supported: ${field}`)
    out.push({field, op: m[2] === '!=' ? '!=' : '=', value: m[3].trim()})
  }
  return out
}

function fieldValue(obj: any, field: string): string {
  let cur = obj
  for (const part of field.split('.')) {
    if (cur === null || typeof cur !== 'object') return ''
    cur = cur[part]
  }
  if (cur === undefined || cur === null) return ''
  return String(cur)
}

export function matchFields(reqs: FieldRequirement[], obj: unknown): boolean {
  return reqs.every((r) => {
    const v = fieldValue(obj, r.field)
    return r.op === '=' ? v === r.value : v !== r.value
  })
}
