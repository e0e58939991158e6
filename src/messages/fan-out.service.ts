import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { DataSource } from 'typeorm';
import { messageWorkflowId } from '../../workflows/shared/workflow-ids';
import { mapWithConcurrency } from '../common/concurrency';
import { notFound } from '../common/errors/api-error';
import { TemporalClientService } from '../temporal/temporal-client.service';
import { ProfilesService } from '../profiles/profiles.service';
import { DeliveryService } from './delivery.service';
import { DeliveryWindowsService } from './delivery-windows.service';
import type { DeliveryRequest } from './delivery.types';
import { MessagesService } from './messages.service';

/**
 * A /send to a tenant: one message per member (`<requestId>:<userId>`), recorded with its
 * request and started as its own message workflow. Ids derive from the request and the member,
 * so a retried fan-out records and starts nobody twice.
 */
@Injectable()
export class FanOutService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly messages: MessagesService,
    private readonly delivery: DeliveryService,
    private readonly temporal: TemporalClientService,
    private readonly windows: DeliveryWindowsService,
    private readonly profiles: ProfilesService,
  ) {}

  async fanOutToTenant(workspaceId: string, requestId: string, tenantId: string, delay: { duration?: string | number; until?: string } | null): Promise<{ messageIds: string[] }> {
    const [row] = (await this.db.query('SELECT request FROM send_requests WHERE workspace_id = $1 AND id = $2', [workspaceId, requestId])) as Array<{ request: DeliveryRequest }>;
    if (!row) throw notFound(`send request ${requestId} not found`);
    const members = await this.delivery.tenantMembers(workspaceId, tenantId);
    const messageIds = await mapWithConcurrency(members, 16, async (userId) => {
      const messageId = `${requestId}:${userId}`;
      const workflowId = messageWorkflowId(workspaceId, messageId);
      const request: DeliveryRequest = { ...row.request, messageId, recipient: userId, tenantId };
      // A delivery window opens in each member's own zone (their profile's, else the workspace's).
      const endsAt = await this.windows.delayEndsAt(workspaceId, delay, request.to ?? {}, () => this.profiles.get(workspaceId, userId)).catch(() => null);
      await this.messages.enqueue({ workspaceId, messageId, requestId, recipient: userId, notification: request.template, to: request.to ?? {}, workflowId, request: request as never, scheduledFor: endsAt });
      await this.temporal.startIdempotent('messageWorkflow', {
        taskQueue: this.temporal.taskQueue,
        workflowId,
        args: [{ workspaceId, messageId, delay: endsAt ? { until: endsAt.toISOString() } : null }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
      return messageId;
    });
    return { messageIds };
  }
}
