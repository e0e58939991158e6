import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../../common/auth/public.decorator';
import { notFound } from '../../common/errors/api-error';
import { MessagesService } from '../messages.service';
import { SecretsService } from '../secrets.service';
import { verifyTrackingToken } from './tracking-tokens';

const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/**
 * Email opens and clicks. Public (recipients have no API key) but unforgeable: each token is
 * signed, a click redirects only to the URL inside its own signed token, anything else is 404.
 */
@ApiExcludeController()
@Public()
@Controller('t')
export class TrackingController {
  constructor(private readonly secrets: SecretsService, private readonly messages: MessagesService) {}

  @Get('o/:token')
  async open(@Param('token') token: string, @Res() res: Response): Promise<void> {
    const claims = verifyTrackingToken(token, await this.secrets.trackingSecret());
    if (!claims || claims.k !== 'o') throw notFound('not found');
    await this.messages.transition(claims.w, claims.m, 'OPENED', { channel: claims.c ?? 'email' }).catch(ignoreMissingMessage);
    res.setHeader('Cache-Control', 'no-store, max-age=0');
    res.type('image/gif').send(PIXEL);
  }

  @Get('c/:token')
  async click(@Param('token') token: string, @Res() res: Response): Promise<void> {
    const claims = verifyTrackingToken(token, await this.secrets.trackingSecret());
    if (!claims || claims.k !== 'c' || !claims.u) throw notFound('not found');
    const channel = claims.c ?? 'email';
    // A click implies an open (images are often blocked).
    await this.messages.transition(claims.w, claims.m, 'OPENED', { channel }).catch(ignoreMissingMessage);
    await this.messages.transition(claims.w, claims.m, 'CLICKED', { channel, detail: { url: claims.u } }).catch(ignoreMissingMessage);
    res.setHeader('Cache-Control', 'no-store, max-age=0');
    res.redirect(302, claims.u);
  }
}

/** The link still works when its message is gone (deleted workspace data); nothing else is swallowed. */
function ignoreMissingMessage(err: unknown): void {
  if ((err as { getStatus?: () => number }).getStatus?.() === 404) return;
  throw err;
}
