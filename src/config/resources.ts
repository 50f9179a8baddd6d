import { z } from 'zod';
import { ChannelResource } from './channel-resource.ts';
import { QueueResource } from './queue-resource.ts';
import { CampaignResource } from './campaign-resource.ts';

/**
 * Parley's resources (group parley.dev, version v1alpha1). The same shapes come from
 * Kubernetes through the operator or from a folder of YAML files in local mode; the CRD
 * schemas in `crds/` describe exactly these.
 */
export { ChannelResource, InboundRule } from './channel-resource.ts';
export { QueueResource, RoutingMethods, LastAgentModes, type RoutingMethod } from './queue-resource.ts';
export { CampaignResource } from './campaign-resource.ts';
export { apiVersion } from './common.ts';

export const Resource = z.discriminatedUnion('kind', [ChannelResource, QueueResource, CampaignResource]);
export type Resource = z.infer<typeof Resource>;
export type ResourceKind = Resource['kind'];
