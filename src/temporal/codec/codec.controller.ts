import { Body, Controller, HttpCode, Inject, Options, Param, Post, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Payload } from '@temporalio/common';
import type { Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { Public } from '../../common/auth/public.decorator';
import { installationKeys } from '../../common/crypto/installation-keys';
import { badRequest, notFound } from '../../common/errors/api-error';
import { HERALD_CONFIG, HeraldConfig } from '../../config/herald-config';
import { TemporalClientService } from '../temporal-client.service';
import { codecEndpointToken } from './encryption-codec';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/**
 * Temporal's remote codec endpoint, so the Temporal UI (and `temporal workflow show
 * --codec-endpoint`) can show the payloads Herald encrypts: `POST /codec/<token>/decode` and
 * `/encode` with `{ payloads: [{ metadata, data }] }` (base64). The token in the path is derived
 * from the installation key (`herald codec-endpoint` prints the URL); anything else is a 404.
 * CORS allows the configured Temporal UI origin.
 */
@ApiExcludeController()
@Public()
@Controller('codec')
export class CodecController {
  private readonly token: Buffer;
  private readonly uiOrigin: string | null;

  constructor(@Inject(HERALD_CONFIG) config: HeraldConfig, private readonly temporal: TemporalClientService) {
    this.token = Buffer.from(codecEndpointToken(installationKeys(config).current));
    this.uiOrigin = originOf(config.temporal.uiUrl);
  }

  @Options(':token/:operation')
  @HttpCode(204)
  preflight(@Param('token') token: string, @Res({ passthrough: true }) res: Response): void {
    this.check(token);
    this.cors(res);
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
    res.setHeader('Access-Control-Max-Age', '600');
  }

  @Post(':token/:operation')
  @HttpCode(200)
  async run(@Param('token') token: string, @Param('operation') operation: string, @Body() body: { payloads?: unknown }, @Res({ passthrough: true }) res: Response) {
    this.check(token);
    if (operation !== 'decode' && operation !== 'encode') throw notFound('not found');
    this.cors(res);
    if (!body || !Array.isArray(body.payloads)) throw badRequest('payloads must be an array of { metadata, data }');
    const payloads = body.payloads.map((p, i) => fromJson(p, i));
    const out = operation === 'decode' ? await this.temporal.codec.decode(payloads).catch((err) => {
      throw badRequest(`cannot decode: ${(err as Error).message}`);
    }) : await this.temporal.codec.encode(payloads);
    return { payloads: out.map(toJson) };
  }

  private check(token: string): void {
    const given = Buffer.from(token);
    if (given.length !== this.token.length || !timingSafeEqual(given, this.token)) throw notFound('not found');
  }

  private cors(res: Response): void {
    if (!this.uiOrigin) return;
    res.setHeader('Access-Control-Allow-Origin', this.uiOrigin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Vary', 'Origin');
  }
}

function originOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

function fromJson(value: unknown, i: number): Payload {
  const p = value as JsonPayload;
  if (!p || typeof p !== 'object' || (p.data !== undefined && typeof p.data !== 'string') || (p.metadata !== undefined && (typeof p.metadata !== 'object' || p.metadata === null))) {
    throw badRequest(`payloads[${i}] must be { metadata: { [key]: base64 }, data: base64 }`);
  }
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) {
    if (typeof v !== 'string') throw badRequest(`payloads[${i}].metadata.${k} must be base64`);
    metadata[k] = Buffer.from(v, 'base64');
  }
  return { metadata, data: Buffer.from(p.data ?? '', 'base64') };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
    data: Buffer.from(p.data ?? []).toString('base64'),
  };
}
