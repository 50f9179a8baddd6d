import { describe, expect, it } from 'vitest';
import { callbackUrlProblem } from './callback-url.ts';

describe('callback URLs', () => {
  it('accepts https URLs of names and public addresses', () => {
    for (const url of ['https://hooks.example.com/parley', 'https://203.0.113.7/x', 'https://[2001:db8::1]/x']) expect(callbackUrlProblem(url, false), url).toBeUndefined();
  });

  it('refuses plain http, loopback, private and link-local addresses (the cloud metadata service)', () => {
    expect(callbackUrlProblem('http://hooks.example.com/parley', false)).toContain('https');
    for (const url of ['https://localhost/x', 'https://127.0.0.1/x', 'https://10.1.2.3/x', 'https://192.168.0.10/x', 'https://172.20.0.1/x', 'https://169.254.169.254/latest', 'https://[::1]/x', 'https://[fd00::1]/x', 'https://[::ffff:127.0.0.1]/x']) {
      expect(callbackUrlProblem(url, false), url).toContain('private');
    }
  });

  it('allows anything when told to (tests, closed networks)', () => {
    expect(callbackUrlProblem('http://127.0.0.1:8080/x', true)).toBeUndefined();
  });
});
