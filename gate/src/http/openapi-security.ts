import type { IdentityMode } from './identity.js';

/** The security scheme of the signed queue ticket (`?ticket=`), which resumes a status read. */
export const TICKET_SCHEME = 'queueTicket';

const ticket = {
  type: 'apiKey',
  in: 'query',
  name: 'ticket',
  description: 'The signed queue ticket a join returned: resumes the status after a reload.',
} as const;

/** The scheme of each identity mode; none for the query mode, which authenticates nobody. */
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
      // No scheme: the seed-compatible mode takes the client's word for who it is (the
      // userId query parameter, documented as a parameter), which is no authentication.
      return undefined;
  }
}

/**
 * How the OpenAPI document says a shopper identifies: the schemes (the identity mode's
 * and the ticket's), and the `security` of the routes that identify a shopper: the
 * identity's scheme, or none in the query mode; the status read also takes the ticket.
 */
export function shopperSecuritySchemes(mode: IdentityMode, header: string) {
  const identity = identityScheme(mode, header);
  const shopper: Record<string, string[]> = identity ? { [identity.name]: [] } : {};
  return {
    schemes: {
      ...(identity ? { [identity.name]: identity.definition } : {}),
      [TICKET_SCHEME]: ticket,
    },
    /** `security` of the joins and the seed's routes. */
    identified: [shopper],
    /** `security` of the status read: the identity, or the signed ticket. */
    identifiedOrTicket: [shopper, { [TICKET_SCHEME]: [] }],
  };
}
