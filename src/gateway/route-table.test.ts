import { describe, expect, it } from 'vitest';
import { RouteTable } from './route-table.ts';

const table = new RouteTable<string>([
  { method: 'GET', pattern: '/v1/agents/:agentId', handler: 'get' },
  { method: 'PUT', pattern: '/v1/agents/:agentId', handler: 'put' },
  { method: 'POST', pattern: '/v1/agents/:agentId/offers/:offerId/accept', handler: 'accept' },
]);

describe('RouteTable', () => {
  it('matches method and path and decodes parameters', () => {
    expect(table.match('POST', '/v1/agents/a%2Db/offers/o1/accept')).toMatchObject({
      kind: 'found',
      route: { handler: 'accept' },
      params: { agentId: 'a-b', offerId: 'o1' },
    });
  });

  it('reports the allowed methods for a known path', () => {
    expect(table.match('DELETE', '/v1/agents/x')).toEqual({ kind: 'wrongMethod', pattern: '/v1/agents/:agentId', allowed: ['GET', 'PUT'] });
  });

  it('matches nothing for unknown paths, empty parameters or bad escapes', () => {
    for (const path of ['/v1/agents', '/v1/agents/', '/v1/agents/x/y', '/v1/agents/%E0%A4%A', '/']) {
      expect(table.match('GET', path)).toEqual({ kind: 'none' });
    }
  });
});
