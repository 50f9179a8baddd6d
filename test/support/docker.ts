/**
 * Whether testcontainers can reach a container engine. testcontainers is
 * imported lazily: it is heavy and only needed on machines without local
 * services, and its failure must not break machines that have them.
 */
let available: Promise<boolean> | undefined;

export function dockerAvailable(): Promise<boolean> {
  available ??= import('testcontainers')
    .then((tc) => tc.getContainerRuntimeClient())
    .then(
      () => true,
      () => false,
    );
  return available;
}

export const DOCKER_HINT = 'no Docker engine is reachable for testcontainers either';
