export * from './delivery';
export * from './faults';
export * from './http';
export * from './options';
export * from './process';
