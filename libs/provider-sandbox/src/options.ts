import type { SandboxLog } from './process';

/** Options every provider sandbox has (each sandbox's options extend these). */
export interface SandboxServerOptions {
  /** 0 = a free port */
  port: number;
  host: string;
  /** Server clock (Unix ms) */
  clock: () => number;
  /** One JSON-serialisable event per call; silent by default */
  log: SandboxLog;
}

export const defaultSandboxServerOptions: SandboxServerOptions = {
  port: 0,
  host: '127.0.0.1',
  clock: () => Date.now(),
  log: () => undefined,
};
