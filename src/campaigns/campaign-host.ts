import type { ActorStepper, PartitionWork } from '../runtime/index.ts';
import type { CampaignCommand, CampaignCommandOutcome } from './campaign-kind.ts';

/**
 * What campaigns need of the partition runtime of the process they run in (a router
 * registers `campaignKind` and provides this): which partitions it owns, a partition's
 * transactions for the runner's batches, and commands got to a campaign's owner.
 */
export interface CampaignHost {
  /** The cluster's partition count. */
  readonly partitions: number;
  /** Whether this process owns the partition now. */
  owns(partition: number): boolean;
  /** Runs work in the partition's turn, in a transaction fenced on it (`ActorHost.run`); settles once committed. */
  run<T>(partition: number, work: PartitionWork<T>): Promise<T>;
  /** Steps actors inside those transactions. */
  readonly actors: ActorStepper;
  /** Runs a command on the owner of the campaign's partition, wherever it is; resolves once committed. */
  command(command: CampaignCommand): Promise<CampaignCommandOutcome>;
  /**
   * Calls `listener` after each commit that moved a campaign's actor to another state in
   * this process (its partition's owner: where its runner is); returns the unsubscribe.
   */
  onStateChange(listener: (tenant: string, name: string, state: string) => void): () => void;
}
