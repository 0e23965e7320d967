/**
 * The public image that runs netpack's own in-cluster programs (the Weave peering side-car and
 * the `check` probes): the official Node.js image, a supported LTS release, pinned by digest so
 * that what runs is what was tested. netpack's program travels beside it as one script in a
 * ConfigMap that `node` runs; nobody builds or pulls an image of ours.
 *
 * Source of the digest: docker-library/repo-info, `repos/node/remote/24-slim.md` (the image index
 * of `node:24-slim`, NODE_VERSION 24.19.0, read 2026-12-06). The tag is kept for people reading
 * the manifest; with a digest present the runtime pulls by digest.
 */
export const NODE_IMAGE =
  'docker.io/library/node:24.19.0-slim@sha256:cd84903a12dbd26b46f1f3b8144a2568c41c5d37ddd0c7a80a34c7a19786b35f';

/** The Node.js release inside {@link NODE_IMAGE}, for `version` and the docs. */
export const NODE_IMAGE_NODE_VERSION = '24.19.0';
