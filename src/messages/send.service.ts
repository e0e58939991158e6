import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DurationError, isTimestampText, parseDuration, untilToDelayMs } from '../../workflows/shared/durations';
import { windowProblem } from '../common/time/delivery-window';
import { ProfilesService } from '../profiles/profiles.service';
import { DeliveryWindowsService } from './delivery-windows.service';
import { MANY_RECIPIENTS, ManyRecipientsSender } from '../broadcasts/many-recipients';
import { recipientSource } from '../broadcasts/recipient-source';
import { messageWorkflowId, sendRequestWorkflowId } from '../../workflows/shared/workflow-ids';
import { firstNulPath } from '../common/json/nul-characters';
import { isSingleEmailAddress } from './channels/email-address';
import { badRequest, conflict } from '../common/errors/api-error';
import { derivedUuid } from '../common/ids';
import { TemporalClientService } from '../temporal/temporal-client.service';
import { WorkflowTerminator } from '../temporal/workflow-terminator.service';
import { DeliveryService } from './delivery.service';
import type { DeliveryRequest, MessageView } from './delivery.types';
import { SendDto } from './dto/send.dto';
import { MessagesService } from './messages.service';

/**
 * POST /send and message cancel. Each message runs as its own durable workflow; the request is
 * stored with the message (or, for a tenant, in send_requests), so workflows carry ids only.
 */
@Injectable()
export class SendService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly messages: MessagesService,
    private readonly delivery: DeliveryService,
    private readonly temporal: TemporalClientService,
    private readonly terminator: WorkflowTerminator,
    private readonly windows: DeliveryWindowsService,
    private readonly profiles: ProfilesService,
    @Optional() @Inject(MANY_RECIPIENTS) private readonly many?: ManyRecipientsSender,
  ) {}

  async send(workspaceId: string, body: SendDto, idempotencyKey?: string): Promise<{ requestId: string }> {
    const m = body.message;
    const to = m.to;
    const userId = typeof to.user_id === 'string' && to.user_id ? to.user_id : null;
    const email = typeof to.email === 'string' && to.email ? to.email : null;
    const tenantId = typeof to.tenant_id === 'string' && to.tenant_id ? to.tenant_id : null;
    // A phone number alone is a recipient too (an SMS to someone without a profile).
    const phone = !userId && !email && typeof to.phone_number === 'string' && to.phone_number ? to.phone_number : null;
    const toMany = ['list_id', 'list_pattern', 'audience_id'].some((k) => to[k] !== undefined && to[k] !== null && to[k] !== '');
    if (!userId && !email && !phone && !tenantId && !toMany) throw badRequest('message.to needs user_id, email, phone_number, tenant_id, list_id, list_pattern or audience_id');
    if (toMany && (userId || email || phone || tenantId)) throw badRequest('message.to names one recipient or one group: user_id/email, tenant_id, or one of list_id, list_pattern, audience_id');
    if (email && !isSingleEmailAddress(email)) throw badRequest('message.to.email must be one plain email address (no list, display name or line break)');
    if (!m.template && !m.content) throw badRequest('message needs template or content');
    const nul = firstNulPath(m, 'message');
    if (nul) throw badRequest(`${nul} contains a NUL character (\\u0000), which cannot be stored`);
    if (m.routing?.method && !['single', 'all'].includes(m.routing.method)) throw badRequest('message.routing.method must be single or all');
    if (m.delay) {
      try {
        if (m.delay.duration !== undefined) parseDuration(m.delay.duration);
        else if (m.delay.until !== undefined && (isTimestampText(m.delay.until) || typeof m.delay.until !== 'string')) untilToDelayMs(m.delay.until, Date.now());
        else if (m.delay.until !== undefined) {
          const problem = /^\d{4}-\d{2}/.test(m.delay.until.trim()) ? `invalid timestamp ${JSON.stringify(m.delay.until)}` : windowProblem(m.delay.until);
          if (problem) throw new DurationError(`until must be an ISO-8601 date-time or an opening-hours window such as "Mo-Fr 08:00-16:30": ${problem}`);
        } else throw new DurationError('give duration or until');
      } catch (err) {
        throw badRequest(`message.delay: ${(err as Error).message}`);
      }
    }
    const requestId = idempotencyKey ? derivedUuid(workspaceId, 'POST /send', idempotencyKey) : randomUUID();
    const request: DeliveryRequest = {
      workspaceId,
      messageId: requestId,
      requestId,
      runId: null,
      recipient: userId ?? email ?? phone,
      template: m.template ?? null,
      message: null,
      brand: null,
      channels: m.channels ?? null,
      data: m.data ?? {},
      profile: {},
      to,
      routing: m.routing ?? null,
      content: m.content ?? null,
      tenantId,
      topic: m.topic ?? null,
    };
    let delay = m.delay ?? null;
    if (toMany) {
      if (!this.many) throw badRequest('sending to lists and audiences is not available in this process');
      const source = recipientSource(to, 'message.to');
      if (delay?.until !== undefined && !isTimestampText(delay.until)) throw badRequest('message.delay: a delivery window is per recipient; for a list or audience use a broadcast with use_recipient_timezone, or quiet hours');
      const sendAt = delay ? await this.scheduledFor(workspaceId, delay, {}, null) : null;
      // Each recipient's message is `<requestId>:<userId>`, made by the broadcast engine in batches.
      await this.many.sendToMany(workspaceId, requestId, source, { ...request, to: {}, recipient: null }, sendAt);
      return { requestId };
    }
    if (tenantId && !userId && !email && !phone) {
      await this.db.query(
        'INSERT INTO send_requests (workspace_id, id, tenant_id, request) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
        [workspaceId, requestId, tenantId, JSON.stringify(request)],
      );
      await this.temporal.startIdempotent('sendRequestWorkflow', {
        taskQueue: this.temporal.taskQueue,
        workflowId: sendRequestWorkflowId(workspaceId, requestId),
        args: [{ workspaceId, requestId, tenantId, delay }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
      return { requestId };
    }
    const workflowId = messageWorkflowId(workspaceId, requestId);
    // A window's next opening is decided now, in the recipient's zone; the workflow sleeps to a timestamp.
    const scheduledFor = delay ? await this.scheduledFor(workspaceId, delay, to, userId) : null;
    if (delay) delay = scheduledFor ? { until: scheduledFor.toISOString() } : null;
    // Recorded before the workflow starts, so the message can be listed (and canceled) at once.
    await this.messages.enqueue({ workspaceId, messageId: requestId, requestId, recipient: request.recipient, notification: request.template, to, workflowId, request: request as never, scheduledFor });
    await this.temporal.startIdempotent('messageWorkflow', {
      taskQueue: this.temporal.taskQueue,
      workflowId,
      args: [{ workspaceId, messageId: requestId, delay }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    return { requestId };
  }

  /** When a delay ends for this recipient (null: now); a window is read in the recipient's zone. */
  private async scheduledFor(workspaceId: string, delay: { duration?: string | number; until?: string }, to: Record<string, unknown>, userId: string | null): Promise<Date | null> {
    try {
      return await this.windows.delayEndsAt(workspaceId, delay, to, async () => (userId ? this.profiles.get(workspaceId, userId) : null));
    } catch (err) {
      throw badRequest(`message.delay: ${(err as Error).message}`);
    }
  }

  /**
   * Cancels a message no channel attempt has claimed yet; 409 once one has (the point of no
   * return). Decided in Postgres, so it holds with Temporal down; the message's workflow is
   * closed in the background (or finds the message canceled when it wakes).
   */
  async cancel(workspaceId: string, messageId: string): Promise<MessageView> {
    const row = await this.messages.row(workspaceId, messageId);
    if (!row.workflow_id) throw conflict('this message is being sent by its automation run; cancel the run instead');
    const { canceled, status } = await this.delivery.cancelIfUnsent(workspaceId, messageId);
    if (!canceled) throw conflict(`message is ${status === 'ENQUEUED' ? 'being sent' : status}; only a message not yet sent can be canceled`);
    this.terminator.terminate([row.workflow_id], 'message canceled');
    return this.messages.view(workspaceId, messageId);
  }
}
