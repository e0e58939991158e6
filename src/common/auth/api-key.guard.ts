import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { unauthorized } from '../errors/api-error';
import { KeyCheck, WorkspacesService } from '../../workspaces/workspaces.service';
import { IS_PUBLIC } from './public.decorator';
import type { AuthenticatedRequest } from './workspace.decorator';

/**
 * Every route needs an API key unless marked @Public(). Accepts `Authorization: Bearer <key>`
 * (what RudderStack's Courier destination sends) and Basic auth with the key as password
 * (or as user name with an empty password, as Segment-style senders do). A key is accepted
 * while it is neither revoked nor past its expiry; the key itself is never logged or echoed.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly reflector: Reflector, private readonly workspaces: WorkspacesService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const key = extractKey(req.headers.authorization);
    if (!key) throw unauthorized('missing API key: send Authorization: Bearer <key>');
    const check = await this.workspaces.checkKey(key);
    if ('refused' in check) throw unauthorized(refusalMessage(check));
    req.workspaceId = check.workspaceId;
    return true;
  }
}

export function refusalMessage(check: Exclude<KeyCheck, { workspaceId: string }>): string {
  switch (check.refused) {
    case 'unknown':
      return 'invalid API key';
    case 'revoked':
      return 'this API key was revoked';
    case 'expired':
      return `this API key expired at ${check.expiredAt.toISOString()}`;
  }
}

export function extractKey(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, ...rest] = header.trim().split(/\s+/);
  const value = rest.join(' ');
  if (!value) return undefined;
  if (/^bearer$/i.test(scheme)) return value;
  if (/^basic$/i.test(scheme)) {
    // One base64 token, nothing after it (Buffer.from would silently skip junk).
    if (rest.length !== 1 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 === 1) return undefined;
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return decoded || undefined;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    return password || user || undefined;
  }
  return undefined;
}
