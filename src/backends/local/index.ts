/** The local backend: notebook servers as Jupyter processes on this machine. */
export { createLocalBackend } from './local-backend.ts';
export { MESSAGES, PROGRESS } from './messages.ts';
export type { BackendLogger, LocalBackendOptions, LocalBackendSettings } from './options.ts';
export { userLayout, serverLayout } from './layout.ts';
