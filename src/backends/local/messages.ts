/**
 * What people are told about their server, in plain language (DESIGN.md: "a message a
 * non-technical person can act on"), and how far along a start is. One place, so the pages,
 * the tests and the two backends can agree on the words.
 */
export const MESSAGES = {
  preparing: 'Preparing your files',
  starting: 'Starting Jupyter',
  waiting: 'Waiting for Jupyter to answer',
  ready: 'Your server is ready',
  exitedWhileStarting: 'The notebook server stopped while starting.',
  timedOut: (ms: number) =>
    `The notebook server did not answer within ${ms < 10_000 ? ms / 1000 : Math.round(ms / 1000)} seconds.`,
  couldNotStart: 'The notebook server could not be started.',
  cancelled: 'The start was cancelled because the server was stopped.',
  hubClosing: 'The hub is shutting down; the server keeps starting and will be found again.',
  crashed: 'The notebook server stopped unexpectedly.',
  goneWhileAway: 'The notebook server stopped while the hub was not running.',
  unresponsive: 'The notebook server stopped answering and was shut down.',
} as const;

/** Percentages of the progress events. */
export const PROGRESS = { preparing: 10, starting: 30, waiting: 50, done: 100 } as const;
