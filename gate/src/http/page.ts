import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, RediclaimError } from '@rediclaim/core';
import type { IdentityMode } from './identity.js';
import { eventParams } from './schemas.js';

/** gate/public, beside src/ and dist/ (the Docker image copies it: hack/docker/assemble). */
export const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

export interface PageOptions {
  /** Tells the page how shoppers are identified (query: an id it keeps; jwt: a token). */
  identityMode: IdentityMode;
  /** The page's files; default gate/public. */
  publicDir?: string;
}

interface Asset {
  type: string;
  etag: string;
  body: Buffer;
  gzip?: Buffer;
  br?: Buffer;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.png': 'image/png',
};
const COMPRESSIBLE = new Set(['.js', '.css', '.svg', '.json', '.webmanifest']);
const TEMPLATE = 'index.html';
const ASSET_NAME = /^[a-z0-9][a-z0-9.-]{0,80}$/;

/**
 * The page allows only itself: scripts and styles from its own assets (no inline code),
 * API calls to its own origin, no framing, no plugins.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
} as const;

const hash = (data: Buffer | string) => createHash('sha256').update(data).digest('base64url');

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/**
 * altcha-lib's browser solver (its v1 ES modules: index.js, helpers.js and worker.js,
 * which import each other relatively), served beside the page under `altcha/`: the
 * page's Web Workers run the library's own code, and nothing comes from a CDN.
 */
export const ALTCHA_DIR = path.dirname(fileURLToPath(import.meta.resolve('altcha-lib/v1')));
const ALTCHA_FILES = ['index.js', 'helpers.js', 'worker.js'];

function assetOf(name: string, body: Buffer): Asset | undefined {
  const ext = path.extname(name);
  const type = TYPES[ext];
  if (!type || !ASSET_NAME.test(name)) return undefined;
  const asset: Asset = { type, etag: `"${hash(body).slice(0, 22)}"`, body };
  if (COMPRESSIBLE.has(ext) && body.length > 512) {
    asset.gzip = gzipSync(body, { level: 9 });
    asset.br = brotliCompressSync(body, {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length },
    });
  }
  return asset;
}

/** Every file of the folder (and the solver) in memory, compressed once: small, served often. */
function loadAssets(dir: string): {
  assets: Map<string, Asset>;
  solver: Map<string, Asset>;
  version: string;
  template: string;
} {
  const assets = new Map<string, Asset>();
  const all = createHash('sha256');
  let template: string | undefined;
  for (const name of readdirSync(dir).sort()) {
    const body = readFileSync(path.join(dir, name));
    all.update(name).update('\0').update(body);
    if (name === TEMPLATE) {
      template = body.toString('utf8');
      continue;
    }
    const asset = assetOf(name, body);
    if (asset) assets.set(name, asset);
  }
  const solver = new Map<string, Asset>();
  for (const name of ALTCHA_FILES) {
    const body = readFileSync(path.join(ALTCHA_DIR, name));
    all.update(`altcha/${name}`).update('\0').update(body);
    solver.set(name, assetOf(name, body)!);
  }
  if (template === undefined) throw new Error(`the waiting-room page has no ${TEMPLATE} in ${dir}`);
  return { assets, solver, version: hash(all.digest()).slice(0, 12), template };
}

/** br, then gzip, when the client takes them (no q-value parsing: browsers send plain lists). */
function encodingFor(request: FastifyRequest, asset: Asset): 'br' | 'gzip' | undefined {
  const accepted = request.headers['accept-encoding'] ?? '';
  if (asset.br && /\bbr\b/.test(accepted)) return 'br';
  if (asset.gzip && /\bgzip\b/.test(accepted)) return 'gzip';
  return undefined;
}

const notModified = (request: FastifyRequest, etag: string) =>
  (request.headers['if-none-match'] ?? '')
    .split(',')
    .some((tag) => tag.trim().replace(/^W\//, '') === etag);

function sendAsset(request: FastifyRequest, reply: FastifyReply, asset: Asset, immutable: boolean) {
  reply
    .header(
      'cache-control',
      immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=0, must-revalidate',
    )
    .header('etag', asset.etag)
    .header('vary', 'accept-encoding')
    .header('x-content-type-options', 'nosniff')
    .header('cross-origin-resource-policy', 'same-origin');
  if (notModified(request, asset.etag)) return reply.code(304).send();
  const encoding = encodingFor(request, asset);
  reply.type(asset.type);
  if (encoding) reply.header('content-encoding', encoding);
  return reply.send(encoding ? asset[encoding] : asset.body);
}

/** The route options of an asset under `/assets/<version>/`: `file` is what it may name. */
const assetRoute = (file: Record<string, unknown>) => ({
  schema: {
    hide: true,
    params: {
      type: 'object',
      properties: { version: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$' }, file },
      required: ['version', 'file'],
    },
  },
});

/**
 * The shoppers' waiting-room page: `GET /events/:eventId` (HTML) and its files under
 * `/assets/<version>/<file>`, where the version is a hash of all of them, so they are
 * cached for good and a new release is a new path. Plain ES modules and CSS from
 * gate/public, no build step; the page talks to the /v1 API with relative URLs, so it
 * also works behind a path prefix.
 */
export const waitingRoomPage: FastifyPluginAsync<PageOptions> = async (app, options) => {
  const { assets, solver, version, template } = loadAssets(options.publicDir ?? PUBLIC_DIR);
  // The same template for every event; only the id differs (and it is validated).
  const base = template
    .replaceAll('%ASSETS%', `../assets/${version}`)
    .replaceAll('%IDENTITY%', options.identityMode);
  const parts = base.split('%EVENT_ID%');
  const pageOf = (eventId: string) => parts.join(escapeHtml(eventId));

  app.get<{ Params: { eventId: string } }>(
    '/events/:eventId',
    { schema: { hide: true, params: eventParams } },
    async (request, reply) => {
      const { eventId } = request.params;
      const etag = `"${version}-${eventId}"`;
      // no-cache: the page is revalidated each time, so a release reaches open tabs on reload.
      reply.headers(PAGE_HEADERS).header('cache-control', 'no-cache').header('etag', etag);
      if (notModified(request, etag)) return reply.code(304).send();
      return reply.type('text/html; charset=utf-8').send(pageOf(eventId));
    },
  );

  app.get<{ Params: { version: string; file: string } }>(
    '/assets/:version/:file',
    assetRoute({ type: 'string', pattern: ASSET_NAME.source }),
    async (request, reply) => {
      const asset = assets.get(request.params.file);
      if (!asset) throw new RediclaimError(ErrorCode.NotFound, `no asset ${request.params.file}`);
      // Another version (a tab of the previous release during a rollout): today's file,
      // revalidated rather than cached for good under a name it does not match.
      return sendAsset(request, reply, asset, request.params.version === version);
    },
  );

  app.get<{ Params: { version: string; file: string } }>(
    '/assets/:version/altcha/:file',
    assetRoute({ type: 'string', enum: ALTCHA_FILES }),
    async (request, reply) =>
      sendAsset(
        request,
        reply,
        solver.get(request.params.file)!,
        request.params.version === version,
      ),
  );
};
