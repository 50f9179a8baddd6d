import { describe, expect, it } from 'vitest';
import { ConfigRegistry } from '../config/index.ts';
import { externalIdOf } from '../contract/index.ts';
import { conversationPartitionKey, partitionOf } from '../partition/index.ts';
import type { ConversationContext } from './context.ts';
import { conversationKind } from './kind.ts';

describe('conversation kind', () => {
  it('finds the partition of a conversation seen in a state note by its key, without reading the store', async () => {
    // No store: a read would throw.
    const kind = conversationKind(undefined as never, new ConfigRegistry());
    const seen = { id: 'c-1', tenant: 'acme', channel: 'whatsapp', customer: { id: '+33611111111', idType: 'phone' } } as ConversationContext;
    kind.learnPartition(seen, 64);
    const expected = partitionOf(conversationPartitionKey('acme', 'whatsapp', externalIdOf(seen.customer)), 64);
    expect(await kind.partitionOf('acme', 'c-1', 64)).toBe(expected);
    expect(kind.keyOfActor?.({ context: seen } as never)).toBe(conversationPartitionKey('acme', 'whatsapp', externalIdOf(seen.customer)));
  });
});
