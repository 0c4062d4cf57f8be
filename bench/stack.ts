import {
  type BenchTopics,
  type ChildService,
  createBenchDatabase,
  createBenchTopics,
  createGateTopic,
  deleteTopics,
  dropBenchDatabase,
  startChild,
} from './environment';

/** One set of throwaway topics + database and the services on them. */
export interface ServiceStack {
  topics: BenchTopics;
  services: ChildService[];
  /** The baseline's gate topic (cardholder command partitions), when asked for. */
  gateTopic?: string;
  close(): Promise<void>;
}

export interface StackOptions {
  id: string;
  sandboxUrl: string;
  /** Start card-svc too (the mixed workload); the baseline runs cardholder-svc only. */
  withCardSvc: boolean;
  /** Extra cardholder-svc environment, e.g. CARDHOLDER_MAX_IN_FLIGHT=1 for the baseline. */
  cardholderEnv?: Record<string, string>;
  /** Extra node arguments for the services, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Also create `<prefix>.gate` for the baseline's SequentialGate. */
  gate?: boolean;
}

export async function startStack(options: StackOptions): Promise<ServiceStack> {
  const prefix = `bench.${options.id}`;
  const database = `issuing_bridge_bench_${options.id.replace(/[^a-z0-9_]/gi, '_')}`;
  const topics = await createBenchTopics(prefix);
  let gateTopic: string | undefined;
  let databaseUrl: string;
  try {
    gateTopic = options.gate ? await createGateTopic(`${prefix}.gate`) : undefined;
    databaseUrl = await createBenchDatabase(database);
  } catch (e) {
    await deleteTopics([...Object.values(topics), `${prefix}.gate`]);
    await dropBenchDatabase(database);
    throw e;
  }
  const services: ChildService[] = [];
  const close = async () => {
    await Promise.all(services.map((s) => s.stop()));
    await dropBenchDatabase(database);
    await deleteTopics([...Object.values(topics), ...(gateTopic ? [gateTopic] : [])]);
  };
  const common = { DATABASE_URL: databaseUrl, KEYSECURE_BASE_URL: options.sandboxUrl };
  try {
    const starts: Promise<ChildService>[] = [
      startChild('cardholder-svc', 'apps/cardholder-svc/src/main.ts', 'CARDHOLDER_SVC_PORT', {
        ...common,
        CARDHOLDER_COMMANDS_TOPIC: topics.cardholderCommands,
        CARDHOLDER_EVENTS_TOPIC: topics.cardholderEvents,
        CARDHOLDER_COMMANDS_DLQ_TOPIC: topics.cardholderCommandsDlq,
        CARDHOLDER_SVC_GROUP_ID: `${prefix}.cardholder-svc`,
        CARDHOLDER_CONSUMER_SESSION_TIMEOUT_MS: '10000',
        ...options.cardholderEnv,
      }, '/health/ready', options.nodeArgs),
    ];
    if (options.withCardSvc) {
      starts.push(
        startChild('card-svc', 'apps/card-svc/src/main.ts', 'CARD_SVC_PORT', {
          ...common,
          CARD_COMMANDS_TOPIC: topics.cardCommands,
          CARD_EVENTS_TOPIC: topics.cardEvents,
          CARD_COMMANDS_DLQ_TOPIC: topics.cardCommandsDlq,
          KEYSECURE_CALLBACKS_TOPIC: topics.keysecureCallbacks,
          CARD_COMMAND_GROUP_ID: `${prefix}.card-svc`,
          CARD_CALLBACK_GROUP_ID: `${prefix}.card-svc.callbacks`,
          CARD_RECONCILE_INTERVAL_MS: '0',
        }, '/health/ready', options.nodeArgs),
      );
    }
    const settled = await Promise.allSettled(starts);
    for (const s of settled) if (s.status === 'fulfilled') services.push(s.value);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  } catch (e) {
    await close();
    throw e;
  }
  return { topics, services, gateTopic, close };
}
