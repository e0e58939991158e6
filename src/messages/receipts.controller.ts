import { Controller, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { validateRequest } from 'twilio';
import { z } from 'zod';
import { Public } from '../common/auth/public.decorator';
import { ApiError, badRequest, notFound } from '../common/errors/api-error';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { ProvidersService } from '../providers/providers.service';
import { ReceiptsService } from './receipts.service';
import { webhookSignature } from './channels/webhook.channel';

/** A signed receipt older (or newer) than this is refused: a captured one cannot be replayed later. */
const RECEIPT_TOLERANCE_MS = 5 * 60_000;
const forbidden = (message: string) => new ApiError(403, message, 'authentication_error');

const genericReceipt = z
  .object({
    message_id: z.string().min(1).max(300).optional(),
    provider_message_id: z.string().min(1).max(200).optional(),
    status: z.enum(['delivered', 'undelivered', 'failed']),
    error: z.string().max(500).optional(),
  })
  .strict()
  .refine((r) => r.message_id !== undefined || r.provider_message_id !== undefined, { message: 'give message_id or provider_message_id', path: ['message_id'] });

/**
 * Delivery receipts from providers (public: providers send no API key, so each is authenticated
 * by its signature): Twilio's status callbacks, signed with the account's auth token, and a
 * generic receipt signed like Herald's own webhooks with the provider's receipt secret. Both move
 * the message to DELIVERED or UNDELIVERABLE once (statuses are recorded once, so a repeated
 * callback changes nothing) and so reach RudderStack as outbound events.
 */
@Public()
@ApiExcludeController()
@Controller('receipts')
export class ReceiptsController {
  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly providers: ProvidersService,
    private readonly receipts: ReceiptsService,
  ) {}

  @Post('twilio/:workspace/:provider')
  @HttpCode(204)
  async twilio(@Param('workspace') workspaceId: string, @Param('provider') providerId: string, @Req() req: Request): Promise<void> {
    const p = await this.providers.forSend(workspaceId, providerId).catch(() => null);
    if (!p || p.provider !== 'twilio' || typeof p.secrets.auth_token !== 'string') throw notFound('no such receipt endpoint');
    const text = typeof req.body === 'string' ? req.body : '';
    const params = Object.fromEntries(new URLSearchParams(text));
    const signature = String(req.headers['x-twilio-signature'] ?? '');
    const url = `${this.config.delivery.publicUrl}${req.originalUrl}`;
    if (!signature || !validateRequest(p.secrets.auth_token, signature, url, params)) throw forbidden('the X-Twilio-Signature does not match this request');
    const sid = params.MessageSid ?? params.SmsSid;
    if (!sid) throw badRequest('MessageSid is missing');
    const status = params.MessageStatus ?? params.SmsStatus;
    const outcome = status === 'delivered' || status === 'read' ? 'DELIVERED' : status === 'undelivered' || status === 'failed' ? 'UNDELIVERABLE' : null;
    if (!outcome) return; // queued, sending, sent: nothing new for Herald
    const error = outcome === 'UNDELIVERABLE' ? `twilio: ${status}${params.ErrorCode ? ` (error ${params.ErrorCode})` : ''}` : undefined;
    // Applied now, or kept until Herald records Twilio's acceptance of that sid: 204 either way (Twilio retries nothing).
    await this.receipts.record(workspaceId, p.id, { providerMessageId: sid }, outcome, error);
  }

  /** 204 when applied; 202 when it came before Herald recorded the provider's acceptance (applied with it). */
  @Post(':workspace/:provider')
  @HttpCode(204)
  async generic(@Param('workspace') workspaceId: string, @Param('provider') providerId: string, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const p = await this.providers.forSend(workspaceId, providerId).catch(() => null);
    if (!p) throw notFound('no such receipt endpoint');
    if (!p.receiptSecret) throw forbidden('this provider has no receipt_secret, so its receipts cannot be authenticated');
    const text = typeof req.body === 'string' ? req.body : '';
    if (!verifySignature(p.receiptSecret, String(req.headers['herald-signature'] ?? ''), text)) {
      throw forbidden('the Herald-Signature does not match this body (t=<ms>,v1=<HMAC-SHA256 of "t.body">, within 5 minutes)');
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw badRequest('body is not valid JSON');
    }
    const parsed = genericReceipt.safeParse(json);
    if (!parsed.success) throw badRequest(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const r = parsed.data;
    const outcome = r.status === 'delivered' ? 'DELIVERED' : 'UNDELIVERABLE';
    const recorded = await this.receipts.record(workspaceId, p.id, { messageId: r.message_id, providerMessageId: r.provider_message_id }, outcome, outcome === 'UNDELIVERABLE' ? `${p.provider}: ${r.status}${r.error ? `: ${r.error}` : ''}` : undefined);
    if (recorded === 'pending') res.status(202);
  }
}

function verifySignature(secret: string, header: string, body: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.trim().split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isFinite(t) || Math.abs(Date.now() - t) > RECEIPT_TOLERANCE_MS || typeof parts.v1 !== 'string') return false;
  // The same signature Herald puts on its own webhooks.
  const expected = Buffer.from(webhookSignature(secret, t, body).split('v1=')[1], 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
