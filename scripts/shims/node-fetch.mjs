// Stand-in for `node-fetch` inside the CLI bundle. client-node imports it for `Headers` (in
// KubeConfig.applyToFetchOptions) and for its generated API clients; netpack calls neither (it
// speaks raw HTTP with KubeConfig.applyToHTTPSOptions). Node 20's own fetch classes serve, and
// the bundle sheds node-fetch's URL and Unicode tables (~300 KB) that every cluster command
// would otherwise load.
export const Headers = globalThis.Headers;
export const Request = globalThis.Request;
export const Response = globalThis.Response;
export class FetchError extends Error {}
export class AbortError extends Error {}
export default globalThis.fetch;
