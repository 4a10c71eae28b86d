/**
 * rediclaim-crowd's exit codes: scripts and CI tell "the platform broke a promise"
 * from "the command was wrong" from "there was nothing to test".
 */
export const ExitCode = {
  /** Every shopper learned the outcome and every check held. */
  Ok: 0,
  /** Shoppers were lost, or a check failed: the summary says which. */
  ChecksFailed: 1,
  /** Bad options: the message names the option. */
  Usage: 2,
  /** The crowd could not start: a gate unreachable, the event unknown, closed or too late. */
  CannotRun: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure with a sentence for the person who ran the command, and the code to exit with. */
export class CrowdCliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CrowdCliError';
  }
}
