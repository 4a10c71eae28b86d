// The crowd's progress line lives with the crowd (rediclaim-crowd prints it too).
export { progressLine } from '../crowd/progress.js';

/** Runs a demo's main and exits with its code; a failure is one readable line. */
export function runDemo(what: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(
        `[rediclaim] ${what} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      process.exit(1);
    },
  );
}
