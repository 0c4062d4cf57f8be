/*
 * The ceiling's "service": consumes a command topic and republishes every record to an events topic
 * with no processing at all (eachBatch, one produce per batch). Run as a child process by ceiling.ts
 * so it pays its own CPU, like a real service. Args: <brokers> <from> <to> <groupId>.
 */
import { Kafka, logLevel } from 'kafkajs';

async function main(): Promise<void> {
  const [brokers, from, to, groupId] = process.argv.slice(2) as [string, string, string, string];
  const kafka = new Kafka({ clientId: 'bench-echo', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50 });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topic: from, fromBeginning: true });
  consumer.on(consumer.events.GROUP_JOIN, () => process.send?.('ready'));
  await consumer.run({
    partitionsConsumedConcurrently: 6,
    eachBatch: async ({ batch }) => {
      await producer.send({
        topic: to,
        messages: batch.messages.map((m) => ({ key: m.key, value: m.value, partition: batch.partition })),
      });
    },
  });
  process.on('SIGTERM', () => {
    void Promise.all([consumer.disconnect(), producer.disconnect()]).finally(() => process.exit(0));
  });
}

void main();
