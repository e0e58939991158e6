import { Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../common/auth/public.decorator';
import { notFound } from '../common/errors/api-error';
import { SecretsService } from '../messages/secrets.service';
import { PreferencesService } from './preferences.service';
import { verifyUnsubscribeToken } from './unsubscribe-tokens';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * One-click unsubscribe (RFC 8058): the `List-Unsubscribe` URL of every email of a non-REQUIRED
 * topic. POST (what mail clients send, with `List-Unsubscribe=One-Click`) opts the user out with
 * no login; GET shows a small page with a button that POSTs (no JavaScript), so a link scanner
 * that follows the URL changes nothing.
 */
@ApiExcludeController()
@Public()
@Controller('u')
export class UnsubscribeController {
  constructor(private readonly secrets: SecretsService, private readonly preferences: PreferencesService) {}

  @Get(':token')
  async page(@Param('token') token: string, @Res() res: Response): Promise<void> {
    const claims = await this.claims(token);
    const { topic } = await this.preferences.get(claims.w, claims.u, claims.t);
    const out = topic.status === 'OPTED_OUT';
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
    res.type('html').send(`<!doctype html><html><head><meta charset="utf-8"><title>Unsubscribe</title></head><body style="font-family:sans-serif;max-width:32em;margin:3em auto">
<h1>${escape(topic.topic_name)}</h1>
<p>${out ? 'You are unsubscribed from these messages.' : 'You receive these messages.'}</p>
${out ? '' : `<form method="post" action=""><button type="submit">Unsubscribe</button></form>`}
</body></html>`);
  }

  @Post(':token')
  @HttpCode(200)
  async unsubscribe(@Param('token') token: string, @Res() res: Response): Promise<void> {
    const claims = await this.claims(token);
    await this.preferences.put(claims.w, claims.u, claims.t, { topic: { status: 'OPTED_OUT' } }, 'link');
    res.type('html').send('<!doctype html><html><head><meta charset="utf-8"><title>Unsubscribed</title></head><body style="font-family:sans-serif;max-width:32em;margin:3em auto"><p>You are unsubscribed.</p></body></html>');
  }

  private async claims(token: string) {
    const claims = verifyUnsubscribeToken(token, await this.secrets.trackingSecret());
    if (!claims) throw notFound('not found');
    return claims;
  }
}
