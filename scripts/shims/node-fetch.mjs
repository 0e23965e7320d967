// Stand-in for `node-fetch` inside the CLI bundle. client-node imports it for `Headers` (in
// KubeConfig.applyToFetchOptions) and for its generated API clients; netpack calls neither (it
// speaks raw HTTP with KubeConfig.applyToHTTPSOptions). Node 20's own fetch classes serve, and
// the bundle sheds node-fetch's URL and Unicode tables (~300 KB) that every cluster command
// would otherwise load.
//
// Node's fetch classes are looked up only when called: reading `globalThis.Headers` makes Node
// load its fetch implementation (undici, ~15 ms of a cluster command's start) even when nothing
// ever fetches.
export function Headers(init) {
  return new globalThis.Headers(init);
}
export function Request(input, init) {
  return new globalThis.Request(input, init);
}
export function Response(body, init) {
  return new globalThis.Response(body, init);
}
export class FetchError extends Error {}
export class AbortError extends Error {}
export default function fetch(input, init) {
  return globalThis.fetch(input, init);
}
