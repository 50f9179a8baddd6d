import { Counter, type Registry } from 'prom-client';

/** What became of a configuration change a process saw. */
export const ConfigOutcomes = ['applied', 'deleted', 'refused'] as const;
export type ConfigOutcome = (typeof ConfigOutcomes)[number];

/** `parley_config_changes_total{kind,outcome}`: one per changed resource a process applied, removed or refused. */
export function configChangesCounter(registry: Registry): Counter<'kind' | 'outcome'> {
  const name = 'parley_config_changes_total';
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<'kind' | 'outcome'>;
  return new Counter({
    name,
    help: 'Configuration changes seen by this process, by resource kind (Channel, Queue, Campaign; folder for a refused folder) and outcome (applied, deleted, refused)',
    labelNames: ['kind', 'outcome'],
    registers: [registry],
  });
}
