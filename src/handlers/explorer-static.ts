/**
 * GET /explorer/* — the explorer's page and assets, as built by `npm run build:explorer` (vite, into
 * dist/explorer beside the compiled code). The page itself holds no data; its APIs check the caller.
 * Only files of the build are served: the path is resolved inside the build folder and anything else
 * is a 404.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteSyncError } from '../errors.js';
import type { HandlerDeps } from './deps.js';
import { errorResponse, type Handler, type HandlerResponse } from './http.js';

/** The page's path; both hosts serve it and everything below it. */
export const EXPLORER_PATH = '/explorer';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** Scripts, styles and API calls from this origin only: no CDN, no inline script, no framing. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** The app root: the nearest folder up from this module with a package.json (the repository, or the deployed package). */
function appRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new DeleteSyncError('DS_ERR_CONFIG', 'No package.json above the service code');
    dir = parent;
  }
  return dir;
}

export function explorerBuildDir(): string {
  return path.join(appRoot(), 'dist', 'explorer');
}

function file(status: number, type: string, body: string, cache: string): HandlerResponse {
  return {
    status,
    headers: { 'content-type': type, 'cache-control': cache, 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' },
    body,
  };
}

export function createExplorerStaticHandler(deps: HandlerDeps, root: string = explorerBuildDir()): Handler {
  const log = deps.log.child({ handler: 'explorer-static' });
  return async (request) => {
    try {
      if (request.path === EXPLORER_PATH) return { status: 308, headers: { location: `${EXPLORER_PATH}/` }, body: '' };
      const relative = decodeURIComponent(request.path.slice(`${EXPLORER_PATH}/`.length)) || 'index.html';
      const target = path.resolve(root, relative);
      const type = TYPES[path.extname(target)];
      if (!target.startsWith(root + path.sep) || type === undefined || !existsSync(target)) {
        if (!existsSync(path.join(root, 'index.html'))) {
          return file(503, TYPES['.txt']!, 'The explorer is not built: run `npm run build:explorer`.\n', 'no-store');
        }
        throw new DeleteSyncError('DS_ERR_NOT_FOUND', 'No such file');
      }
      // Built assets carry a content hash in their names; the page itself must always be fetched anew.
      const cache = relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      return file(200, type, await readFile(target, 'utf8'), cache);
    } catch (error) {
      if (error instanceof URIError) return errorResponse(new DeleteSyncError('DS_ERR_NOT_FOUND', 'No such file'), log);
      return errorResponse(error, log);
    }
  };
}
