import { describe, expect, it } from 'vitest';
import { ParleyError } from '../contract/index.ts';
import { claimsFrom, defaultClaimMapping } from './claims.ts';
import type { ClaimMapping } from './claims.ts';

const times = { iat: 1_700_000_000, exp: 1_700_003_600 };

function refused(payload: Record<string, unknown>, mapping: ClaimMapping): string {
  try {
    claimsFrom(payload, mapping);
  } catch (err) {
    expect(err).toBeInstanceOf(ParleyError);
    expect((err as ParleyError).code).toBe('unauthorized');
    return (err as ParleyError).message;
  }
  return expect.fail('expected the claims to be refused');
}

describe('claimsFrom', () => {
  it("reads Parley's own claim names by default", () => {
    expect(claimsFrom({ sub: 'alice', tenant: 'acme', role: 'agent', ...times }, defaultClaimMapping)).toEqual({ sub: 'alice', tenant: 'acme', role: 'agent', ...times });
  });

  it('follows dotted paths into nested claims (Keycloak realm_access.roles)', () => {
    const mapping = { ...defaultClaimMapping, subject: 'preferred_username', role: 'realm_access.roles', roleMap: { 'parley-admin': 'admin' as const } };
    const payload = { sub: 'uuid', preferred_username: 'ops', tenant: 'acme', realm_access: { roles: ['default-roles', 'parley-admin'] }, ...times };
    expect(claimsFrom(payload, mapping)).toMatchObject({ sub: 'ops', role: 'admin' });
  });

  it('prefers a claim whose name has dots (namespaced claims) over a path', () => {
    const mapping = { ...defaultClaimMapping, tenant: 'https://parley.example/tenant' };
    expect(claimsFrom({ sub: 'a', role: 'agent', 'https://parley.example/tenant': 'acme', ...times }, mapping)).toMatchObject({ tenant: 'acme' });
  });

  it('takes the most privileged role among several groups, mapped (Entra-style roles array)', () => {
    const mapping = { ...defaultClaimMapping, subject: 'oid', role: 'roles', fixedTenant: 'contoso', roleMap: { 'Parley.Agent': 'agent' as const, 'Parley.Supervisor': 'supervisor' as const } };
    const payload = { oid: '9f6c1a0e-1b2c-4d3e-8f00-1234567890ab', roles: ['Parley.Agent', 'Parley.Supervisor', 'Other.Admin'], ...times };
    expect(claimsFrom(payload, mapping)).toMatchObject({ sub: '9f6c1a0e-1b2c-4d3e-8f00-1234567890ab', tenant: 'contoso', role: 'supervisor' });
  });

  it('with a role map, counts only mapped names, even Parley role names', () => {
    const mapping = { ...defaultClaimMapping, roleMap: { staff: 'supervisor' as const } };
    expect(refused({ sub: 'a', tenant: 'acme', role: 'admin', ...times }, mapping)).toBe('invalid claims: no Parley role in claim "role"');
    expect(claimsFrom({ sub: 'a', tenant: 'acme', role: ['staff', 'admin'], ...times }, mapping)).toMatchObject({ role: 'supervisor' });
  });

  it('a fixed tenant wins over any tenant claim', () => {
    const mapping = { ...defaultClaimMapping, fixedTenant: 'acme' };
    expect(claimsFrom({ sub: 'a', tenant: 'globex', role: 'agent', ...times }, mapping)).toMatchObject({ tenant: 'acme' });
  });

  it('names the configured claim when one is missing or invalid', () => {
    const mapping = { ...defaultClaimMapping, subject: 'upn', tenant: 'org' };
    expect(refused({ role: 'agent', org: 'acme', ...times }, mapping)).toMatch(/^invalid claims: "upn": /);
    expect(refused({ upn: 'a', role: 'agent', org: 'Not A Label', ...times }, mapping)).toMatch(/^invalid claims: "org": must be a DNS label/);
    expect(refused({ upn: 'a', org: 'acme', role: 'agent', iat: 1.5, exp: times.exp }, mapping)).toMatch(/^invalid claims: "iat": /);
    expect(refused({ upn: 'a', org: 'acme', role: { agent: true }, ...times }, mapping)).toBe('invalid claims: no Parley role in claim "role"');
  });
});
