import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Admin, Kafka, logLevel } from 'kafkajs';
import type { BaseConfig } from '../config/base-config.schema';
import { InjectAppConfig } from '../config/platform-config.module';
import type { ReadinessState } from './readiness';

const CHECK_TIMEOUT_MS = 2500;

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Kafka reachability for readiness: one long-lived admin connection and a cheap metadata call
 * (describeCluster) per check, bounded by a short timeout so a dead broker cannot hang the probe.
 */
@Injectable()
export class KafkaReadiness implements OnModuleDestroy {
  private readonly kafka: Kafka;
  private admin?: Admin;

  constructor(@InjectAppConfig() config: BaseConfig) {
    this.kafka = new Kafka({
      clientId: 'issuing-bridge-health',
      brokers: config.KAFKA_BROKERS,
      connectionTimeout: 1000,
      requestTimeout: CHECK_TIMEOUT_MS,
      retry: { retries: 0 },
      // Failures are reported by the probe itself; kafkajs' own error logs would repeat them per check.
      logLevel: logLevel.NOTHING,
    });
  }

  async check(): Promise<ReadinessState> {
    try {
      this.admin ??= this.kafka.admin();
      const admin = this.admin;
      const cluster = await withTimeout(
        admin.connect().then(() => admin.describeCluster()),
        CHECK_TIMEOUT_MS,
        'Kafka describeCluster',
      );
      return { ready: true, details: { brokers: cluster.brokers.length } };
    } catch (error) {
      await this.reset();
      return { ready: false, details: { message: (error as Error).message } };
    }
  }

  private async reset(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    await this.reset();
  }
}
