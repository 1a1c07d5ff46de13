// A démarches-simplifiées stand-in for the tests (loopback only): DS's
// GraphQL API v2 at POST /api/v2/graphql, executed by graphql-js over
// DS's published schema (tests/dssim/schema.graphql), so that every
// document raccord sends is validated as DS would; the data comes from
// an answer fixture (tests/dssim/dossiers_page1.json).
//   --port-file F  write the port chosen (bound on 127.0.0.1:0)
//   --cert C --key K   serve HTTPS with the test certificate
//   --token T      the Bearer token accepted (else 401)
//   --page N       dossiers per page whatever `first` asks (paging tests)
//   --rewrite FROM=TO  replace FROM in every champ value (portal URLs)
//   --down         answer 503 with Retry-After: 7 to everything
// GET /_state answers {writes: [{dossierId, annotationId, text}], queries,
// instructions} for the tests' assertions.  POST /_ctl (tests only)
// changes the stand-in while it runs: {"down": 503|429|null,
// "retryAfter": N, "downMutations": bool, "touch": {"number", "label",
// "value"}} (a champ changed, dateDerniereModification moved to now).
// updatedSince keeps the dossiers modified at or after it.
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:https'
import { buildSchema, graphql } from 'graphql'

const args = process.argv.slice(2)
const opt = (k, d) => { const i = args.indexOf(k); return i < 0 ? d : args[i + 1] }
const here = new URL('.', import.meta.url).pathname
const schema = buildSchema(readFileSync(here + 'schema.graphql', 'utf8'))
const fixture = JSON.parse(readFileSync(opt('--fixture', here + 'dossiers_page1.json'), 'utf8'))
const token = opt('--token', 'ds-test-token')
const pageSize = Number(opt('--page', '0'))
const ctl = { down: args.includes('--down') ? 503 : null, retryAfter: 7, downMutations: false }
const [from, to] = (opt('--rewrite', '=') || '=').split('=')
const nodes = fixture.data.demarche.dossiers.nodes
if (from) {
  for (const n of nodes) {
    for (const c of n.champs) {
      if (typeof c.stringValue === 'string') c.stringValue = c.stringValue.split(from).join(to)
    }
  }
}
const state = { writes: [], queries: [], instructions: [] }
// now in DS's own format (+01:00), so that dates compare as DS's do
const dsNow = () => new Date(Date.now() + 3600e3).toISOString().replace(/\.\d+Z$/, '+01:00')

const root = {
  demarche: ({ number }) => {
    if (number !== fixture.data.demarche.number) throw new Error(`Demarche not found`)
    return {
      number,
      dossiers: ({ first, after, updatedSince }) => {
        const size = pageSize || first || 100
        const start = after ? Number(Buffer.from(after, 'base64').toString()) : 0
        const since = updatedSince ? Date.parse(updatedSince) : -Infinity
        const all = nodes.filter((n) => Date.parse(n.dateDerniereModification) >= since)
        const slice = all.slice(start, start + size)
        const end = start + slice.length
        return {
          nodes: slice,
          pageInfo: {
            hasNextPage: end < all.length,
            hasPreviousPage: start > 0,
            endCursor: Buffer.from(String(end)).toString('base64'),
            startCursor: Buffer.from(String(start)).toString('base64')
          }
        }
      }
    }
  },
  dossierModifierAnnotations: ({ input }) => {
    const n = nodes.find((x) => x.id === input.dossierId)
    if (!n) return { errors: [{ message: 'Dossier not found' }] }
    const out = []
    for (const a of input.annotations) {
      const ch = n.annotations.find((x) => x.id === a.id)
      if (!ch) return { errors: [{ message: `Annotation ${a.id} not found` }] }
      ch.stringValue = a.value.text
      state.writes.push({ dossierId: input.dossierId, annotationId: a.id, instructeurId: input.instructeurId, text: a.value.text })
      out.push(ch)
    }
    return { annotations: out, errors: null }
  },
  dossierPasserEnInstruction: ({ input }) => {
    const n = nodes.find((x) => x.id === input.dossierId)
    if (!n) return { errors: [{ message: 'Dossier not found' }] }
    if (n.state !== 'en_construction') return { errors: [{ message: `Le dossier est déjà ${n.state}` }] }
    n.state = 'en_instruction'
    state.instructions.push({ dossierId: input.dossierId, instructeurId: input.instructeurId })
    return { dossier: n, errors: null }
  }
}

const server = createServer({ cert: readFileSync(opt('--cert')), key: readFileSync(opt('--key')) }, (req, res) => {
  const send = (code, obj, hdrs = {}) => {
    res.writeHead(code, { 'Content-Type': 'application/json', ...hdrs })
    res.end(JSON.stringify(obj))
  }
  if (req.method === 'GET' && req.url === '/_state') return send(200, state)
  if (req.method === 'POST' && req.url === '/_ctl') {
    let b = ''
    req.on('data', (d) => { b += d })
    req.on('end', () => {
      const c = JSON.parse(b)
      for (const k of ['down', 'retryAfter', 'downMutations']) if (k in c) ctl[k] = c[k]
      if (c.touch) {
        const n = nodes.find((x) => x.number === c.touch.number)
        const ch = n && n.champs.find((x) => x.label === c.touch.label)
        if (!ch) return send(404, { error: 'no such dossier or champ' })
        ch.stringValue = c.touch.value
        n.dateDerniereModification = dsNow()
      }
      send(200, ctl)
    })
    return
  }
  if (ctl.down) {
    state.queries.push({ refused: ctl.down, t: Date.now() })
    return send(ctl.down, { errors: [{ message: 'maintenance' }] }, ctl.retryAfter ? { 'Retry-After': String(ctl.retryAfter) } : {})
  }
  if (req.method !== 'POST' || req.url !== '/api/v2/graphql') return send(404, { errors: [{ message: 'not found' }] })
  if (req.headers.authorization !== `Bearer ${token}`) return send(401, { errors: [{ message: 'unauthorized' }] })
  let body = ''
  req.on('data', (d) => { body += d })
  req.on('end', async () => {
    let q
    try { q = JSON.parse(body) } catch { return send(400, { errors: [{ message: 'bad JSON' }] }) }
    if (ctl.downMutations && /^\s*(#[^\n]*\n\s*)*mutation/.test(q.query)) {
      state.queries.push({ refused: 503, mutation: true, t: Date.now() })
      return send(503, { errors: [{ message: 'maintenance' }] })
    }
    state.queries.push({ variables: q.variables, t: Date.now() })
    const r = await graphql({ schema, source: q.query, rootValue: root, variableValues: q.variables })
    send(200, r)
  })
})
server.listen(0, '127.0.0.1', () => {
  writeFileSync(opt('--port-file'), String(server.address().port))
})
