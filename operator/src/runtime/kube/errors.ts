/**
 * What went wrong talking to the API server. @kubernetes/client-node 1.x throws an
 * ApiException carrying the HTTP `code` and the Status `body` (a JSON string); network
 * failures come as errors with a Node `code` such as ECONNREFUSED.
 */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown; statusCode?: unknown }).code;
  if (typeof code === 'number') return code;
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  return typeof statusCode === 'number' ? statusCode : undefined;
}

export const isNotFound = (error: unknown): boolean => httpStatusOf(error) === 404;
export const isConflict = (error: unknown): boolean => httpStatusOf(error) === 409;
export const isAlreadyExists = (error: unknown): boolean => httpStatusOf(error) === 409;
export const isForbidden = (error: unknown): boolean => httpStatusOf(error) === 403;

/** The API server's own sentence for a failed call (its Status message), else the error's. */
export function describeKubeError(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const body = (error as { body?: unknown }).body;
    const status = httpStatusOf(error);
    if (typeof body === 'string') {
      try {
        const parsed = JSON.parse(body) as { message?: unknown };
        if (typeof parsed.message === 'string') return `${status ?? ''} ${parsed.message}`.trim();
      } catch {
        // not a Status document
      }
    } else if (body && typeof (body as { message?: unknown }).message === 'string') {
      return `${status ?? ''} ${(body as { message: string }).message}`.trim();
    }
    if (status !== undefined) return `HTTP ${status}`;
  }
  return error instanceof Error ? error.message : String(error);
}
