import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Public } from '../common/auth/public.decorator';
import { notFound } from '../common/errors/api-error';

/**
 * The `studio/` folder at the repository root (next to `src/`): `src/studio` under ts/jest,
 * `dist/src/studio` after `npm run build` (the build does not copy it, so look one level up too).
 */
export function resolveStudioRoot(from = __dirname): string | null {
  const candidates = [path.resolve(from, '../../studio'), path.resolve(from, '../../../studio')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html'))) ?? null;
}

/** The ES modules the pages import through their import map, served from the installed packages. */
function vendorFiles(): Record<string, string> {
  return {
    'preact.mjs': require.resolve('preact'),
    'preact-hooks.mjs': require.resolve('preact/hooks'),
    'htm.mjs': path.join(path.dirname(require.resolve('htm')), 'htm.module.js'),
    // The dashboard's charts (uPlot: small, no dependencies, an ES module build).
    'uplot.mjs': require.resolve('uplot/dist/uPlot.esm.js'),
    'uplot.css': require.resolve('uplot/dist/uPlot.min.css'),
    // Its ES module build (require.resolve gives the CommonJS one).
    'openapi-fetch.mjs': path.join(path.dirname(require.resolve('openapi-fetch')), 'index.mjs'),
  };
}

/**
 * The page runs only its own modules (plus its inline import map, allowed by hash), talks only
 * to this origin, and cannot be framed: the API key in sessionStorage stays with the Studio.
 */
export function contentSecurityPolicy(page: string): string {
  const inline = [...page.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)]
    .map((m) => m[1])
    .filter((body) => body.trim())
    .map((body) => `'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
  return [
    "default-src 'self'",
    `script-src 'self' ${inline.join(' ')}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: https:",
    "connect-src 'self'",
    "frame-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

/**
 * Serves the Studio (static pages, no build step) under /studio. The pages need no key; every
 * API call they make carries the key the user signed in with.
 */
@ApiExcludeController()
@Public()
@Controller('studio')
export class StudioController {
  private readonly root = resolveStudioRoot();
  private readonly vendor = vendorFiles();

  @Get(['', '*path'])
  serve(@Req() req: Request, @Res() res: Response): void {
    if (!this.root) throw notFound('the Studio files are not installed (the studio/ folder is missing)');
    const file = this.fileFor(this.root, req.path);
    if (!file) throw notFound('no such Studio file');
    res.setHeader('Content-Type', CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (file === path.join(this.root, 'index.html')) {
      const page = fs.readFileSync(file, 'utf8');
      res.setHeader('Content-Security-Policy', contentSecurityPolicy(page));
      res.send(page);
      return;
    }
    res.sendFile(file, { dotfiles: 'deny' }, (err) => {
      if (err && !res.headersSent) res.status(404).json({ message: 'no such Studio file', type: 'not_found_error' });
    });
  }

  /** Maps a request path to a file, or null (unknown, a directory, or outside the folder). */
  private fileFor(root: string, requestPath: string): string | null {
    let rel: string;
    try {
      rel = decodeURIComponent(requestPath.replace(/^\/studio\/?/, ''));
    } catch {
      return null;
    }
    if (rel === '' || rel === 'index.html') return path.join(root, 'index.html');
    if (rel.startsWith('vendor/')) return this.vendor[rel.slice('vendor/'.length)] ?? null;
    if (rel.includes('\0') || rel.split(/[\\/]/).some((seg) => seg === '..' || seg.startsWith('.'))) return null;
    const file = path.resolve(root, rel);
    if (!file.startsWith(root + path.sep)) return null;
    if (!CONTENT_TYPES[path.extname(file)]) return null;
    try {
      return fs.statSync(file).isFile() ? file : null;
    } catch {
      return null;
    }
  }
}
