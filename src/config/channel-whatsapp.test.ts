import { describe, expect, it } from 'vitest';
import { ChannelResource, ConfigRegistry, fillTemplateBody, parameterCountOf, placeholdersOf } from './index.ts';

const channel = (spec: Record<string, unknown>) => ChannelResource.safeParse({ apiVersion: 'parley.dev/v1alpha1', kind: 'Channel', metadata: { name: 'wa', namespace: 'acme' }, spec: { queue: 'q', ...spec } });
const orderReady = { name: 'order_ready', language: 'en_US', label: 'Order ready', body: 'Hello {{1}}, your order {{2}} is ready.' };

describe('Channel spec.whatsapp.templates', () => {
  it('takes approved templates, and the registry hands them to the router and the gateway', () => {
    const parsed = channel({ type: 'whatsapp', whatsapp: { templates: [orderReady, { ...orderReady, language: 'fr', label: 'Commande prête', body: 'Bonjour {{1}}, votre commande {{2}} est prête.' }] } });
    expect(parsed.error).toBeUndefined();
    expect(channel({ type: 'whatsapp', whatsapp: {} }).data?.spec.whatsapp?.templates).toEqual([]);
    const registry = new ConfigRegistry();
    registry.apply([parsed.data!]);
    expect(registry.channel('acme', 'wa')?.whatsapp?.templates.map((t) => `${t.name}/${t.language}`)).toEqual(['order_ready/en_US', 'order_ready/fr']);
  });

  it('counts the body parameters, a repeated placeholder once', () => {
    expect(parameterCountOf(orderReady)).toBe(2);
    expect(parameterCountOf({ body: 'No parameters.' })).toBe(0);
    expect(placeholdersOf('{{2}} then {{1}}, again {{1}}')).toEqual([1, 2]);
  });

  it('fills the body as the customer reads it, leaving a parameter not given yet as its placeholder', () => {
    expect(fillTemplateBody(orderReady.body, ['Ana', 'A-1042'])).toBe('Hello Ana, your order A-1042 is ready.');
    expect(fillTemplateBody(orderReady.body, ['Ana'])).toBe('Hello Ana, your order {{2}} is ready.');
    expect(fillTemplateBody('{{1}} costs $1 {{1}}', ['$&'])).toBe('$& costs $1 $&');
  });

  it('refuses gaps in the placeholders, a bad name or language, a duplicate, a missing label, and templates on another channel type', () => {
    const invalid = [
      { ...orderReady, body: 'Hello {{2}}' },
      { ...orderReady, body: 'Hello {{1}} and {{3}}' },
      { ...orderReady, name: 'Order Ready' },
      { ...orderReady, language: 'english' },
      { ...orderReady, label: '' },
      { name: 'order_ready', language: 'en_US', body: 'Hello {{1}}' },
      { ...orderReady, header: 'Not supported' },
    ];
    for (const template of invalid) expect(channel({ type: 'whatsapp', whatsapp: { templates: [template] } }).success, JSON.stringify(template)).toBe(false);
    expect(channel({ type: 'whatsapp', whatsapp: { templates: [orderReady, { ...orderReady, label: 'Again' }] } }).success).toBe(false);
    expect(channel({ type: 'sms', whatsapp: { templates: [orderReady] } }).success).toBe(false);
  });
});
