import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

export interface AuthenticatedRequest extends Request {
  workspaceId?: string;
}

/** The workspace of the API key that authenticated this request. */
export const WorkspaceId = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const workspaceId = ctx.switchToHttp().getRequest<AuthenticatedRequest>().workspaceId;
  if (!workspaceId) throw new Error('WorkspaceId used on a public route');
  return workspaceId;
});
