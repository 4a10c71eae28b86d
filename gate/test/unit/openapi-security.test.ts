import { describe, expect, it } from '@jest/globals';
import { shopperSecuritySchemes } from '@rediclaim/gate';

describe('the security schemes the gate documents', () => {
  it('names a bearer JWT in jwt mode, the trusted header in header mode, and the ticket in both', () => {
    expect(shopperSecuritySchemes('jwt', 'x-user-id')).toEqual({
      scheme: 'shopperJwt',
      schemes: {
        shopperJwt: expect.objectContaining({
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
        }),
        queueTicket: expect.objectContaining({ type: 'apiKey', in: 'query', name: 'ticket' }),
      },
    });
    expect(shopperSecuritySchemes('header', 'x-shop-user').schemes.trustedHeader).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'x-shop-user',
    });
  });

  it('says the query mode is no authentication', () => {
    const { scheme, schemes } = shopperSecuritySchemes('query', 'x-user-id');
    expect(scheme).toBe('userIdQuery');
    expect(JSON.stringify(schemes)).toContain('Not authentication');
  });
});
