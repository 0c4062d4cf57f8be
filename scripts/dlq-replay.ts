/**
 * Re-publishes dead-lettered commands to their original topic:
 *   npm run dlq:replay -- --topic card.commands.v1.dlq [--id <command id>]... [--all] [--dry-run]
 * A command that failed for good (provider_unavailable) runs again; one already handled stays a no-op.
 */
import { parseArgs } from 'node:util';
import { KafkaJsMessageBus, kafkaBrokersFromEnv, replayDeadLetters } from '@issuing-bridge/messaging';


async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      topic: { type: 'string' },
      id: { type: 'string', multiple: true },
      all: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  if (!values.topic?.endsWith('.dlq')) {
    console.error('--topic: required, and must be a dead-letter topic (ending in .dlq)');
    return 2;
  }
  const bus = new KafkaJsMessageBus({ brokers: kafkaBrokersFromEnv(), clientId: 'dlq-replay' });
  const { selected, published } = await replayDeadLetters({
    kafka: bus.unwrap(),
    topic: values.topic,
    ids: values.id,
    all: values.all,
    dryRun: values['dry-run'],
  });
  for (const l of selected) {
    console.log(`${values['dry-run'] ? 'would replay' : 'replayed'} ${l.commandId ?? '(no id)'} offset ${l.offset} reason ${l.reason ?? '?'} -> ${l.originalTopic}`);
  }
  console.log(`${selected.length} selected, ${published} published`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
