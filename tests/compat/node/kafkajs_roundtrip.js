// KafkaJS 2.2.4 against a StreamHouse agent.
//
// Admin: createTopics (and again: already exists), fetchTopicOffsets,
// fetchTopicOffsetsByTimestamp, deleteTopics. Data: the known record set of
// tests/compat/compat_data.py, sent with acks=-1 to 3 partitions once
// uncompressed and once with gzip (the codecs KafkaJS has without plugins),
// read back byte-exact from offset 0 of each partition with Fetch requests
// (KafkaJS has no group-less consumer; its consumer joins a group, which is a
// later issue), offsets checked against the producer's base offsets.
//
// Usage: node kafkajs_roundtrip.js BOOTSTRAP   (or $SH_BOOTSTRAP)
'use strict'

const path = require('path')
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const kafkajs = require(path.join(__dirname, 'node_modules', 'kafkajs'))
const { Kafka, CompressionTypes, logLevel } = kafkajs

const PARTITIONS = 3
const BASE_TS = 1700000000000
const LARGE_SIZE = 900 * 1024
const WAIT_MS = 30000

const failures = []
function check(what, got, want) {
  const g = JSON.stringify(got)
  const w = JSON.stringify(want)
  if (g !== w) failures.push(`${what}: got ${g.slice(0, 200)}, want ${w.slice(0, 200)}`)
}
function checkBytes(what, got, want) {
  if (want === null || got === null) {
    const show = x => (x === null ? 'null' : `${x.length} bytes`)
    if (got !== want) failures.push(`${what}: got ${show(got)}, want ${show(want)}`)
    return
  }
  if (!Buffer.isBuffer(got) || !got.equals(want)) {
    const show = x => `${x.length} bytes ${x.subarray(0, 16).toString('hex')}`
    failures.push(`${what}: got ${show(got)}, want ${show(want)}`)
  }
}

// The same rules as compat_data.records(p).
function records(p) {
  const large = Buffer.alloc(LARGE_SIZE)
  for (let j = 0; j < LARGE_SIZE; j++) large[j] = (j * 7 + p) % 251
  const all = Buffer.alloc(256)
  for (let j = 0; j < 256; j++) all[j] = j
  const b = s => Buffer.from(s)
  const rows = [
    [null, b(`p${p}-r0 null key`), []],
    [Buffer.alloc(0), b(`p${p}-r1 empty key`), []],
    [b(`k${p}-2`), Buffer.alloc(0), []],
    [b(`k${p}-3`), null, []],
    [b(`k${p}-4`), b(`p${p}-r4 headers`),
      [['h1', b('a')], ['h1', b('b')], ['h2', Buffer.alloc(0)]]],
    [Buffer.from([0, 1, 2, 255, p]), all, [['bin', Buffer.from([0, 255])]]],
    [b(`k${p}-6`), large, []],
    [b(`k${p}-7`), b(`p${p}-r7 after large`), [['h', b('last')]]],
  ]
  return rows.map(([key, value, headers], i) => ({
    key, value, headers, timestamp: BASE_TS + p * 1000000 + i * 1000,
  }))
}

// [[k, v], ...] -> the KafkaJS headers object (duplicate keys as arrays).
function toHeaderObject(list) {
  const obj = {}
  for (const [k, v] of list) {
    if (obj[k] === undefined) obj[k] = v
    else if (Array.isArray(obj[k])) obj[k].push(v)
    else obj[k] = [obj[k], v]
  }
  return obj
}

function fromHeaderObject(obj) {
  const list = []
  for (const [k, v] of Object.entries(obj || {})) {
    for (const x of Array.isArray(v) ? v : [v]) list.push([k, x])
  }
  return list
}

function withTimeout(promise, ms, what) {
  let t
  const timeout = new Promise((_, reject) => {
    t = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(t))
}

async function produceKnownSet(producer, topic, compression) {
  const delivered = {}
  for (let p = 0; p < PARTITIONS; p++) {
    const recs = records(p)
    const meta = await producer.send({
      topic,
      acks: -1,
      timeout: WAIT_MS,
      compression,
      messages: recs.map(r => ({
        partition: p, key: r.key, value: r.value,
        headers: toHeaderObject(r.headers), timestamp: String(r.timestamp),
      })),
    })
    check(`${topic} p${p} produce result`, meta.map(m => [m.partition, m.errorCode]), [[p, 0]])
    const base = Number(meta[0].baseOffset)
    delivered[p] = recs.map((_, i) => base + i)
    check(`${topic} p${p} delivery offsets`, delivered[p], recs.map((_, i) => i))
  }
  return delivered
}

async function fetchPartition(cluster, topic, p, count) {
  const got = []
  let next = 0
  const deadline = Date.now() + WAIT_MS
  while (got.length < count && Date.now() < deadline) {
    await cluster.refreshMetadataIfNecessary()
    const [{ nodeId }] = Object.entries(cluster.findLeaderForPartitions(topic, [p]))
      .map(([leader]) => ({ nodeId: Number(leader) }))
    const broker = await cluster.findBroker({ nodeId })
    const res = await broker.fetch({
      replicaId: -1, isolationLevel: 1, maxWaitTime: 500, minBytes: 1, maxBytes: 4 << 20,
      topics: [{
        topic, partitions: [{ partition: p, fetchOffset: String(next), maxBytes: 2 << 20 }],
      }],
    })
    for (const t of res.responses) {
      for (const part of t.partitions) {
        if (part.errorCode !== 0) {
          throw new Error(`fetch ${topic} p${p} offset ${next}: error ${part.errorCode}`)
        }
        for (const m of part.messages) {
          if (Number(m.offset) < next) continue // a batch that starts before the asked offset
          got.push(m)
          next = Number(m.offset) + 1
        }
      }
    }
  }
  return got
}

async function checkKnownSet(cluster, topic, delivered) {
  for (let p = 0; p < PARTITIONS; p++) {
    const want = records(p)
    const got = await fetchPartition(cluster, topic, p, want.length)
    check(`${topic} p${p} record count`, got.length, want.length)
    got.forEach((m, i) => {
      if (i >= want.length) return
      const tag = `${topic} p${p} r${i}`
      check(`${tag} offset`, Number(m.offset), delivered[p][i])
      checkBytes(`${tag} key`, m.key, want[i].key)
      checkBytes(`${tag} value`, m.value, want[i].value)
      check(`${tag} timestamp`, m.timestamp, String(want[i].timestamp))
      const hs = fromHeaderObject(m.headers)
      check(`${tag} header names`, hs.map(h => h[0]), want[i].headers.map(h => h[0]))
      hs.forEach(([k, v], j) => {
        if (j < want[i].headers.length) {
          checkBytes(`${tag} header ${j} ${k}`, v, want[i].headers[j][1])
        }
      })
    })
  }
}

async function checkOffsets(admin, topic) {
  const offsets = await admin.fetchTopicOffsets(topic)
  offsets.sort((a, b) => a.partition - b.partition)
  check(`${topic} fetchTopicOffsets`, offsets.map(o => [o.partition, o.low, o.high]),
    [0, 1, 2].map(p => [p, '0', String(records(p).length)]))
  for (let p = 0; p < PARTITIONS; p++) {
    const recs = records(p)
    for (let i = 0; i < recs.length; i++) {
      const res = await admin.fetchTopicOffsetsByTimestamp(topic, recs[i].timestamp)
      res.sort((a, b) => a.partition - b.partition)
      // Partitions before p hold only earlier timestamps (KafkaJS reports the high watermark),
      // partitions after p only later ones (offset 0).
      const want = [0, 1, 2].map(q => [q, String(q === p ? i : q < p ? recs.length : 0)])
      check(`${topic} fetchTopicOffsetsByTimestamp r${i} of p${p}`,
        res.map(o => [o.partition, o.offset]), want)
    }
  }
}

async function main() {
  const bootstrap = process.argv[2] || process.env.SH_BOOTSTRAP
  if (!bootstrap) throw new Error('usage: node kafkajs_roundtrip.js BOOTSTRAP')
  const kafka = new Kafka({
    clientId: 'sh-compat-kafkajs', brokers: [bootstrap], logLevel: logLevel.WARN,
    connectionTimeout: 5000, requestTimeout: WAIT_MS, retry: { retries: 3 },
  })
  const admin = kafka.admin()
  await admin.connect()

  const scratch = 'kafkajs-admin'
  check('createTopics new', await admin.createTopics({
    topics: [{ topic: scratch, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true,
  }), true)
  check('createTopics existing', await admin.createTopics({
    topics: [{ topic: scratch, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true,
  }), false)
  check('listTopics has the new topic', (await admin.listTopics()).includes(scratch), true)
  await admin.deleteTopics({ topics: [scratch], timeout: WAIT_MS })
  let gone = false
  for (const deadline = Date.now() + WAIT_MS; !gone && Date.now() < deadline;) {
    gone = !(await admin.listTopics()).includes(scratch)
    if (!gone) await new Promise(r => setTimeout(r, 200))
  }
  check('topic gone after deleteTopics', gone, true)

  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false })
  await producer.connect()
  const symbol = Object.getOwnPropertySymbols(kafka)
    .find(s => s.description === 'private:Kafka:createCluster')
  const cluster = kafka[symbol]({ allowAutoTopicCreation: false })
  await cluster.connect()

  for (const [name, codec] of [['none', CompressionTypes.None], ['gzip', CompressionTypes.GZIP]]) {
    const topic = `kafkajs-${name}`
    check(`createTopics ${topic}`, await admin.createTopics({
      topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true,
    }), true)
    const delivered = await produceKnownSet(producer, topic, codec)
    await cluster.addTargetTopic(topic)
    await checkKnownSet(cluster, topic, delivered)
    await checkOffsets(admin, topic)
    console.log(`kafkajs ${name}: produced and read back ${PARTITIONS} partitions`)
  }

  await cluster.disconnect()
  await producer.disconnect()
  await admin.disconnect()
}

withTimeout(main(), 200000, 'kafkajs_roundtrip')
  .then(() => {
    if (failures.length) {
      console.log(`kafkajs_roundtrip: ${failures.length} failures:`)
      for (const f of failures.slice(0, 60)) console.log(`  - ${f}`)
      process.exit(1)
    }
    console.log('kafkajs_roundtrip: all checks passed')
    process.exit(0)
  })
  .catch(e => {
    console.log(`FAIL: ${e.stack || e}`)
    for (const f of failures.slice(0, 60)) console.log(`  - ${f}`)
    process.exit(1)
  })
