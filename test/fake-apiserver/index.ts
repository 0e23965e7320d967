// Public surface of the fake Kubernetes API server used by netpack's cluster tests.

export type { FaultRule, Verb, WatchDrop } from './faults.ts';
export type { RequestRecord } from './http.ts';
export type { KubeObject, ResourceType } from './resources.ts';
export type { FailureReason } from './rollout.ts';
export { type FakeApiServer, type FakeApiServerOptions, startFakeApiServer } from './server.ts';
