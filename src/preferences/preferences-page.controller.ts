import { Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../common/auth/public.decorator';
import { notFound } from '../common/errors/api-error';
import { SecretsService } from '../messages/secrets.service';
import { PreferencesService, PreferenceView } from './preferences.service';
import { verifyPreferencesToken } from './unsubscribe-tokens';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The hosted preferences page (`{{ preferences_url }}`): GET /p/<token> lists the user's topics
 * with a checkbox for each one they may leave; the form POSTs back (no JavaScript) and the
 * changes are recorded with source `page`. The token (signed, workspace + user, its own kind)
 * is the only credential; a forged, altered or other-kind token is a 404 and changes nothing.
 *
 * The form body (application/x-www-form-urlencoded, at most a few KB) is read as text by the
 * body gate and parsed here with URLSearchParams. `shown` names the topics the page displayed and
 * `topic` the ones left checked: only shown, existing, non-REQUIRED topics change, so a topic
 * created after the page was loaded is not opted out by a Save; unknown ids are ignored.
 */
@ApiExcludeController()
@Public()
@Controller('p')
export class PreferencesPageController {
  constructor(private readonly secrets: SecretsService, private readonly preferences: PreferencesService) {}

  @Get(':token')
  async page(@Param('token') token: string, @Res() res: Response): Promise<void> {
    const claims = await this.claims(token);
    const { items } = await this.preferences.list(claims.w, claims.u);
    send(res, 200, render(items, false));
  }

  @Post(':token')
  @HttpCode(200)
  async save(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const claims = await this.claims(token);
    if (typeof req.body !== 'string') {
      send(res, 415, shell('Preferences', '<p>The form could not be read (send it as application/x-www-form-urlencoded).</p>'));
      return;
    }
    const form = new URLSearchParams(req.body);
    const shown = new Set(form.getAll('shown'));
    const checked = new Set(form.getAll('topic'));
    const { items } = await this.preferences.list(claims.w, claims.u);
    for (const item of items) {
      if (item.default_status === 'REQUIRED' || !shown.has(item.topic_id)) continue;
      const status = checked.has(item.topic_id) ? 'OPTED_IN' : 'OPTED_OUT';
      if (status === item.status) continue;
      // The status changes; the user's channel choices for the topic stay.
      await this.preferences.put(claims.w, claims.u, item.topic_id, { topic: { status, has_custom_routing: item.has_custom_routing, custom_routing: item.custom_routing } }, 'page');
    }
    send(res, 200, render((await this.preferences.list(claims.w, claims.u)).items, true));
  }

  private async claims(token: string) {
    const claims = verifyPreferencesToken(token, await this.secrets.trackingSecret());
    if (!claims) throw notFound('not found');
    return claims;
  }
}

function send(res: Response, status: number, html: string): void {
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
  // The URL is the credential: never cached, never sent on as a Referer.
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.status(status).type('html').send(html);
}

function shell(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="robots" content="noindex"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title></head><body style="font-family:sans-serif;max-width:32em;margin:3em auto;padding:0 1em">
${body}
</body></html>`;
}

function render(items: PreferenceView[], saved: boolean): string {
  const choosable = items.filter((i) => i.default_status !== 'REQUIRED');
  const rows = items.map((i) => {
    const name = escape(i.topic_name);
    if (i.default_status === 'REQUIRED') return `<li style="margin:.5em 0"><span>${name}</span> <small>(always sent)</small></li>`;
    const id = escape(i.topic_id);
    const on = i.status === 'OPTED_IN';
    return `<li style="margin:.5em 0"><input type="hidden" name="shown" value="${id}"><label><input type="checkbox" name="topic" value="${id}"${on ? ' checked' : ''}> ${name}</label> <small>(${on ? 'subscribed' : 'unsubscribed'})</small></li>`;
  });
  const list = `<ul style="list-style:none;padding:0">\n${rows.join('\n')}\n</ul>`;
  return shell('Email preferences', `<h1>Email preferences</h1>
${saved ? '<p role="status"><strong>Saved.</strong> Your preferences are updated.</p>' : ''}
${!items.length ? '<p>There is nothing to choose here.</p>' : choosable.length ? `<form method="post" action="">\n${list}\n<button type="submit">Save</button>\n</form>` : list}`);
}
