// A KafkaJS (2.2.4) group consumer for the group tests, driven by
// member.py's KafkaJsMember. Prints one JSON object per line:
//   {"event":"assign","partitions":[...]}      each group join
//   {"event":"record","p":P,"o":O,"v":"..."}   a record whose commit succeeded
//   {"event":"commit_failure","error":"..."}
// Each record's offset + 1 is committed before the record is reported.
// SIGTERM: disconnect (LeaveGroup) and exit 0.
//
// Usage: node kafkajs_member.js BOOTSTRAP GROUP TOPIC CLIENT_ID SESSION_MS
'use strict'

const path = require('path')
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const { Kafka, logLevel } = require(path.join(__dirname, '..', 'compat', 'node', 'node_modules',
  'kafkajs'))

const [bootstrap, groupId, topic, clientId, sessionMs] = process.argv.slice(2)
const out = obj => process.stdout.write(JSON.stringify(obj) + '\n')

async function main () {
  const kafka = new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: Number(sessionMs),
    heartbeatInterval: 500,
    rebalanceTimeout: 20000,
    maxWaitTimeInMs: 200
  })
  consumer.on(consumer.events.GROUP_JOIN, e => {
    out({ event: 'assign', partitions: (e.payload.memberAssignment[topic] || []).slice().sort() })
  })
  let stopping = false
  process.on('SIGTERM', async () => {
    if (stopping) return
    stopping = true
    try { await consumer.disconnect() } finally { process.exit(0) }
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const next = (BigInt(message.offset) + 1n).toString()
      try {
        await consumer.commitOffsets([{ topic, partition, offset: next }])
      } catch (e) {
        out({ event: 'commit_failure', error: String(e) })
        throw e // not marked processed: redelivered
      }
      out({ event: 'record', p: partition, o: Number(message.offset), v: message.value.toString() })
    }
  })
}

main().catch(e => {
  out({ event: 'fatal', error: String(e) })
  process.exit(1)
})
