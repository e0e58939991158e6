import { Controller, Get, Logger, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../../common/auth/public.decorator';
import { notFound } from '../../common/errors/api-error';
import { MessagesService } from '../messages.service';
import { SecretsService } from '../secrets.service';
import { isTrackingTokenExpired, verifyTrackingToken } from './tracking-tokens';

const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/**
 * Email opens and clicks. Public (recipients have no API key) but unforgeable: each token is
 * signed, a click redirects only to the URL inside its own signed token, anything else is 404.
 */
@ApiExcludeController()
@Public()
@Controller('t')
export class TrackingController {
  private readonly logger = new Logger('Tracking');

  constructor(private readonly secrets: SecretsService, private readonly messages: MessagesService) {}

  /**
   * The recipient gets the image or the redirect whatever happens to the count: a message that
   * is gone (pruned, deleted) is ignored, and a dependency that is down is logged, not answered.
   */
  private async record(transition: () => Promise<unknown>): Promise<void> {
    try {
      await transition();
    } catch (err) {
      if ((err as { getStatus?: () => number }).getStatus?.() === 404) return;
      this.logger.warn(`open/click not recorded: ${(err as Error).message}`);
    }
  }

  @Get('o/:token')
  async open(@Param('token') token: string, @Res() res: Response): Promise<void> {
    const claims = verifyTrackingToken(token, await this.secrets.trackingSecret());
    if (!claims || claims.k !== 'o') throw notFound('not found');
    if (!isTrackingTokenExpired(claims)) await this.record(() => this.messages.transition(claims.w, claims.m, 'OPENED', { channel: claims.c ?? 'email' }));
    res.setHeader('Cache-Control', 'no-store, max-age=0');
    res.type('image/gif').send(PIXEL);
  }

  @Get('c/:token')
  async click(@Param('token') token: string, @Res() res: Response): Promise<void> {
    const claims = verifyTrackingToken(token, await this.secrets.trackingSecret());
    if (!claims || claims.k !== 'c' || !claims.u) throw notFound('not found');
    if (isTrackingTokenExpired(claims)) {
      res.status(410).type('text/plain').send('This link has expired.');
      return;
    }
    const channel = claims.c ?? 'email';
    // A click implies an open (images are often blocked).
    await this.record(async () => {
      await this.messages.transition(claims.w, claims.m, 'OPENED', { channel });
      await this.messages.transition(claims.w, claims.m, 'CLICKED', { channel, detail: { url: claims.u } });
    });
    res.setHeader('Cache-Control', 'no-store, max-age=0');
    res.redirect(302, claims.u);
  }
}
