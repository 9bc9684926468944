/** The local backend: notebook servers as Jupyter processes on this machine. */
export { createLocalBackend, MESSAGES } from './local-backend.ts';
export type { BackendLogger, LocalBackendOptions, LocalBackendSettings } from './options.ts';
export { userLayout, serverLayout } from './layout.ts';
