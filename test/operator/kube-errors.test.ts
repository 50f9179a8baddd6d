import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { httpStatus, kubeError, KubernetesApiError } from '../../operator/kube-client.ts';

describe('Kubernetes API errors', () => {
  const forbidden = new ApiException<unknown>(
    403,
    'Unknown API Status Code!',
    JSON.stringify({ kind: 'Status', reason: 'Forbidden', message: 'queues.parley.dev "support" is forbidden: User "system:serviceaccount:parley:operator" cannot patch resource "queues/status"', code: 403 }),
    { authorization: 'Bearer s3cret' },
  );

  it('say what the operator was doing, the status and the API server message, without the headers', () => {
    const err = kubeError('patch the status of Queue acme/support', forbidden);
    expect(err).toBeInstanceOf(KubernetesApiError);
    expect((err as Error).message).toBe(
      'Kubernetes API: patch the status of Queue acme/support: HTTP 403: Forbidden: queues.parley.dev "support" is forbidden: User "system:serviceaccount:parley:operator" cannot patch resource "queues/status"',
    );
    expect((err as Error).message).not.toContain('s3cret');
    expect((err as Error).cause).toBe(forbidden);
  });

  it('keep their HTTP status for the callers that branch on it', () => {
    expect(httpStatus(kubeError('get queues acme/support', new ApiException<unknown>(409, '', '', {})))).toBe(409);
  });

  it('leave other errors as they are', () => {
    const refused = new TypeError('fetch failed');
    expect(kubeError('list queues', refused)).toBe(refused);
  });
});
