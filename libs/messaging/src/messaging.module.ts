import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MESSAGING_ENTITIES } from './entities';

/**
 * Registers the engine's inbox/outbox entities with the service's TypeORM DataSource (its `schema`
 * places the tables). Import it in the module that provides `KafkaCommandTransport`; without it the
 * transport refuses to be built, naming this module.
 */
@Module({})
export class MessagingModule {
  static forFeature(dataSource?: string): DynamicModule {
    const typeorm = TypeOrmModule.forFeature(MESSAGING_ENTITIES, dataSource);
    return { module: MessagingModule, imports: [typeorm], exports: [typeorm] };
  }
}
