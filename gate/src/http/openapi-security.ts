import type { IdentityMode } from './identity.js';

/** The security scheme of the signed queue ticket (`?ticket=`), which resumes a status read. */
export const TICKET_SCHEME = 'queueTicket';

const ticket = {
  type: 'apiKey',
  in: 'query',
  name: 'ticket',
  description: 'The signed queue ticket a join returned: resumes the status after a reload.',
} as const;

/** The scheme of each identity mode (query mode declared for what it is: no authentication). */
function identityScheme(mode: IdentityMode, header: string) {
  switch (mode) {
    case 'jwt':
      return {
        name: 'shopperJwt',
        definition: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: "The shop's token for the shopper: sub is the shopper, exp is required.",
        },
      } as const;
    case 'header':
      return {
        name: 'trustedHeader',
        definition: {
          type: 'apiKey',
          in: 'header',
          name: header,
          description: 'Set by a trusted proxy in front of the gate, never by the browser.',
        },
      } as const;
    case 'query':
      return {
        name: 'userIdQuery',
        definition: {
          type: 'apiKey',
          in: 'query',
          name: 'userId',
          description:
            "Not authentication: the seed-compatible mode takes the client's word for who it is. For demos and the seed's clients only.",
        },
      } as const;
  }
}

/**
 * How the OpenAPI document says a shopper identifies: the scheme of the configured
 * identity mode (its name, for the routes' `security`), and the ticket's.
 */
export function shopperSecuritySchemes(mode: IdentityMode, header: string) {
  const { name, definition } = identityScheme(mode, header);
  return { scheme: name, schemes: { [name]: definition, [TICKET_SCHEME]: ticket } };
}
