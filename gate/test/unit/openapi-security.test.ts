import { describe, expect, it } from '@jest/globals';
import { shopperSecuritySchemes } from '@rediclaim/gate';

describe('the security schemes the gate documents', () => {
  it('names a bearer JWT in jwt mode and the trusted header in header mode, with the ticket', () => {
    const jwt = shopperSecuritySchemes('jwt', 'x-user-id');
    expect(jwt.schemes).toEqual({
      shopperJwt: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
      queueTicket: expect.objectContaining({ type: 'apiKey', in: 'query', name: 'ticket' }),
    });
    expect(jwt.identified).toEqual([{ shopperJwt: [] }]);
    expect(jwt.identifiedOrTicket).toEqual([{ shopperJwt: [] }, { queueTicket: [] }]);
    expect(shopperSecuritySchemes('header', 'x-shop-user').schemes).toHaveProperty(
      'trustedHeader',
      {
        type: 'apiKey',
        in: 'header',
        name: 'x-shop-user',
        description: expect.any(String),
      },
    );
  });

  it('declares no scheme for the query mode, which authenticates nobody', () => {
    const query = shopperSecuritySchemes('query', 'x-user-id');
    expect(Object.keys(query.schemes)).toEqual(['queueTicket']);
    expect(query.identified).toEqual([{}]);
    expect(query.identifiedOrTicket).toEqual([{}, { queueTicket: [] }]);
  });
});
