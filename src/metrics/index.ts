export * from './router-metrics.ts';
export { Registry, collectDefaultMetrics } from 'prom-client';
