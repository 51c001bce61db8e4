// @platformatic/kafka 1.35.0 against a StreamHouse agent.
//
// This client release sends Metadata v11 with one byte after the body (the
// include_cluster_authorized_operations flag that v11 no longer has); Apache
// Kafka ignores it, and so must the agent. The test creates a topic of 3
// partitions with the admin client, sends 60 records with keys, headers and
// acks=-1 (one request per 20 records, gzip for the second), reads them back
// through a consumer group from the earliest offset, and checks every record
// once, byte-exact, at the offset the producer was told. Agents that advertise
// only Metadata v11 closed this client's connections before it could do anything.
//
// Usage: node platformatic_roundtrip.mjs BOOTSTRAP   (or $SH_BOOTSTRAP)
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const kafka = await import(path.join(here, 'node_modules/@platformatic/kafka/dist/index.js'))
const { Admin, Producer, ProduceAcks, stringSerializers } = kafka
const { Kafka, logLevel } = (await import(path.join(here, 'node_modules/kafkajs/index.js'))).default

const bootstrap = process.argv[2] || process.env.SH_BOOTSTRAP
if (!bootstrap) {
  console.error('usage: node platformatic_roundtrip.mjs HOST:PORT')
  process.exit(2)
}
const TOPIC = 'platformatic-roundtrip'
const PARTITIONS = 3
const COUNT = 60
const WAIT_MS = 60000
const common = { clientId: 'sh-platformatic', bootstrapBrokers: [bootstrap], retries: 3 }

const failures = []
const deadline = setTimeout(() => {
  console.error(`FAIL: no result within ${WAIT_MS} ms`)
  process.exit(1)
}, WAIT_MS)

function expected(i) {
  return { key: `k${i}`, value: `value ${i} ` + 'x'.repeat(i * 13), header: `h${i}` }
}

async function main() {
  const admin = new Admin(common)
  await admin.createTopics({ topics: [TOPIC], partitions: PARTITIONS, replicas: 1 })
  const meta = await admin.metadata({ topics: [TOPIC] })
  const partitions = meta.topics.get(TOPIC)?.partitionsCount ?? meta.topics.get(TOPIC)?.partitions?.length
  if (partitions !== PARTITIONS) failures.push(`metadata: ${partitions} partitions, want ${PARTITIONS}`)
  await admin.close()
  console.log(`admin: topic ${TOPIC} created, metadata lists ${partitions} partitions`)

  // Offsets the producer was told, per partition, in send order.
  const told = new Map()
  const producer = new Producer({ ...common, serializers: stringSerializers, acks: ProduceAcks.ALL })
  for (let chunk = 0; chunk < COUNT / 20; chunk++) {
    const messages = []
    for (let i = chunk * 20; i < (chunk + 1) * 20; i++) {
      const e = expected(i)
      messages.push({ topic: TOPIC, partition: i % PARTITIONS, key: e.key, value: e.value,
        headers: new Map([['h', e.header]]) })
    }
    const result = await producer.send({ messages, compression: chunk === 1 ? 'gzip' : 'none' })
    for (const o of result.offsets ?? []) {
      told.set(o.partition, (told.get(o.partition) ?? []).concat([o.offset]))
    }
  }
  await producer.close()
  console.log(`producer: ${COUNT} records acknowledged, offsets ${JSON.stringify([...told].map(
    ([p, offs]) => [p, offs.map(String)]))}`)

  // This client release consumes only with topic ids (Fetch v13+; its Fetch v12
  // sends the topic id where the name belongs), which StreamHouse does not have
  // yet: the records are read back with KafkaJS, through a consumer group.
  const seen = new Map()
  const kafkajs = new Kafka({ clientId: 'sh-platformatic-check', brokers: [bootstrap],
    logLevel: logLevel.NOTHING })
  const consumer = kafkajs.consumer({ groupId: 'sh-platformatic-check', maxWaitTimeInMs: 200 })
  await consumer.connect()
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
  await new Promise((resolve, reject) => {
    consumer.run({
      eachMessage: async ({ partition, message }) => {
        const i = Number(message.key.toString().slice(1))
        const e = expected(i)
        if (seen.has(i)) failures.push(`record ${i} read twice`)
        seen.set(i, { offset: message.offset })
        if (message.value.toString() !== e.value) failures.push(`record ${i}: value differs`)
        if (partition !== i % PARTITIONS) failures.push(`record ${i}: partition ${partition}`)
        if (String(message.headers.h) !== e.header) failures.push(`record ${i}: header ${message.headers.h}`)
        if (seen.size === COUNT) resolve()
      },
    }).catch(reject)
  })
  await consumer.disconnect()

  // Per partition, the consumed offsets run 0.. in order of the record index,
  // and the last equals the producer's last acknowledged base offset plus the
  // records after it in that request (offsets are dense from 0).
  for (let p = 0; p < PARTITIONS; p++) {
    const offsets = [...seen.entries()].filter(([i]) => i % PARTITIONS === p)
      .sort(([a], [b]) => a - b).map(([, m]) => Number(m.offset))
    const want = offsets.map((_, n) => n)
    if (JSON.stringify(offsets) !== JSON.stringify(want)) {
      failures.push(`partition ${p}: offsets ${offsets}, want ${want}`)
    }
    for (const base of told.get(p) ?? []) {
      if (!offsets.includes(Number(base))) failures.push(`partition ${p}: told offset ${base} not read`)
    }
  }
  console.log(`consumer: ${seen.size} records read back`)
}

try {
  await main()
} catch (e) {
  const detail = x => [x.message, x.response ? JSON.stringify(x.response, (k, v) =>
    typeof v === 'bigint' ? String(v) : v).slice(0, 400) : '', ...(x.errors ?? []).map(detail)]
  failures.push(`${e.name}: ${detail(e).flat(9).filter(Boolean).join(' | ')}`)
}
clearTimeout(deadline)
for (const f of failures) console.log(`FAIL ${f}`)
console.log(failures.length === 0 ? 'PASS platformatic roundtrip' : `${failures.length} failures`)
process.exit(failures.length === 0 ? 0 : 1)
