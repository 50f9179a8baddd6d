import { createActor, type AnyStateMachine, type EventFromLogic, type InputFrom, type SnapshotFrom } from 'xstate';

/** The scope a machine's transition runs in. */
type MachineScope = Parameters<AnyStateMachine['transition']>[2];

/** An action a pure transition returned, to be executed (or picked for its effects) by the host. */
export type ExecutableAction = Parameters<MachineScope['actionExecutor']>[0];

interface Scope {
  scope: MachineScope;
  /** Where the scope's executor puts the actions of the call in progress. */
  collected: ExecutableAction[];
}

/** One inert scope per machine (see `pureTransition`). */
const scopes = new WeakMap<AnyStateMachine, Scope>();

/**
 * The inert scope XState's `transition` builds for every call, built once per machine.
 * XState's own creates an actor for it each time, whose constructor computes the whole
 * initial snapshot (entry actions included) and a system: profiled in the router, that
 * was about a third of a step's XState time. Our machines spawn and invoke nothing, so
 * the scope's system stays empty and one scope serves every call; a transition is
 * synchronous, so the actions it collects are the current call's.
 */
function scopeOf(machine: AnyStateMachine): Scope {
  let entry = scopes.get(machine);
  if (entry) return entry;
  const self = createActor(machine);
  const collected: ExecutableAction[] = [];
  const scope: MachineScope = {
    self,
    defer: () => {},
    id: '',
    logger: () => {},
    sessionId: '',
    stopChild: () => {},
    system: self.system,
    emit: () => {},
    actionExecutor: (action) => {
      entry?.collected.push(action);
    },
  };
  entry = { scope, collected };
  scopes.set(machine, entry);
  return entry;
}

function collecting<T>(machine: AnyStateMachine, run: (scope: MachineScope) => T): [T, ExecutableAction[]] {
  const entry = scopeOf(machine);
  const actions: ExecutableAction[] = [];
  entry.collected = actions;
  try {
    return [run(entry.scope), actions];
  } finally {
    entry.collected = [];
  }
}

/** XState's pure `transition(machine, snapshot, event)`: the next snapshot and the actions to execute, nothing executed. */
export function pureTransition<M extends AnyStateMachine>(machine: M, snapshot: SnapshotFrom<M>, event: EventFromLogic<M>): [SnapshotFrom<M>, ExecutableAction[]] {
  return collecting(machine, (scope) => machine.transition(snapshot, event, scope) as SnapshotFrom<M>);
}

/** XState's pure `initialTransition(machine, input)`: the initial snapshot and the actions to execute. */
export function pureInitialTransition<M extends AnyStateMachine>(machine: M, input: InputFrom<M>): [SnapshotFrom<M>, ExecutableAction[]] {
  return collecting(machine, (scope) => machine.getInitialSnapshot(scope, input) as SnapshotFrom<M>);
}
