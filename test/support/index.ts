export * from './database';
export * from './free-port';
export * from './service-process';
export * from './wait-for';
export * from './isolated-kafka';
