// Validates raccord's GraphQL documents for démarches-simplifiées
// (connector/intake/ds_*.graphql) against DS's published schema
// (tests/dssim/schema.graphql, see README), with graphql-js: the
// specified rules plus NoDeprecatedCustomRule (raccord uses no field DS
// has deprecated).  Then executes the dossiers query over each answer
// fixture given (tests/dssim/*.json) with graphql-js's default resolvers:
// the fixture must come back unchanged, so it is shaped as DS would
// answer that very query (types, non-null fields, abstract types).
// usage: node validate.mjs SCHEMA DOC.graphql... [-- FIXTURE.json...]
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import {
  buildSchema, parse, validate, specifiedRules, NoDeprecatedCustomRule,
  execute
} from 'graphql'

const args = process.argv.slice(2)
const sep = args.indexOf('--')
const [schemaFile, ...docs] = sep < 0 ? args : args.slice(0, sep)
const fixtures = sep < 0 ? [] : args.slice(sep + 1)
const schema = buildSchema(readFileSync(schemaFile, 'utf8'))
let bad = 0
let dossiersDoc = null

for (const f of docs) {
  const doc = parse(readFileSync(f, 'utf8'))
  const errors = validate(schema, doc, [...specifiedRules, NoDeprecatedCustomRule])
  if (errors.length) {
    bad++
    for (const e of errors) console.log(`${f}: ${e.message}`)
  } else {
    console.log(`${f}: valid`)
  }
  if (basename(f) === 'ds_dossiers.graphql') dossiersDoc = doc
}

// Drop __typename where the query did not ask for it (champs): the
// fixture carries it so that graphql-js can resolve the Champ interface.
const strip = (v, keep) => {
  if (Array.isArray(v)) return v.map((x) => strip(x, keep))
  if (v && typeof v === 'object') {
    const o = {}
    for (const [k, x] of Object.entries(v)) {
      if (k === '__typename' && !keep) continue
      o[k] = strip(x, k === 'demandeur')
    }
    return o
  }
  return v
}

for (const f of fixtures) {
  if (!dossiersDoc) { console.log('no ds_dossiers.graphql given'); bad++; break }
  const want = JSON.parse(readFileSync(f, 'utf8'))
  const res = await execute({
    schema,
    document: dossiersDoc,
    rootValue: want.data,
    variableValues: { demarche: want.data.demarche.number }
  })
  if (res.errors) {
    bad++
    for (const e of res.errors) console.log(`${f}: ${e.message} at ${e.path?.join('.')}`)
  } else if (!isDeepStrictEqual(JSON.parse(JSON.stringify(res.data)), strip(want.data, false))) {
    bad++
    console.log(`${f}: the answer does not have the query's shape`)
  } else {
    console.log(`${f}: shaped as DS answers the dossiers query`)
  }
}
console.log(`dssim: ${docs.length + fixtures.length - bad} passed, ${bad} failed`)
process.exit(bad ? 1 : 0)
