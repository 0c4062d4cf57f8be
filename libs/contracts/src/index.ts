export * from './topics';
export * from './violations';
export {
  CLOUDEVENTS_CONTENT_TYPE,
  CLOUDEVENTS_SPECVERSION,
  DATA_CONTENT_TYPE,
} from './envelope';
export { FAILURE_REASONS, SEALING_ALG, SEALING_ENC } from './fields';
export * from './commands';
export * from './events';
export * from './parse';
export * from './factory';
export * from './routing';
export * from './sealing';
