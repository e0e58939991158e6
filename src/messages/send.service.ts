import { Injectable } from '@nestjs/common';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { DurationError, parseDuration, untilToDelayMs } from '../../workflows/shared/durations';
import { badRequest, conflict } from '../common/errors/api-error';
import { derivedUuid } from '../common/ids';
import { TemporalClientService } from '../temporal/temporal-client.service';
import type { DeliveryRequest } from './delivery.types';
import { SendDto } from './dto/send.dto';
import { MessagesService, MessageView } from './messages.service';

const messageWorkflowId = (workspaceId: string, messageId: string) => `message:${workspaceId}:${messageId}`;

/** POST /send and message cancel: each message runs as its own durable workflow. */
@Injectable()
export class SendService {
  constructor(private readonly messages: MessagesService, private readonly temporal: TemporalClientService) {}

  async send(workspaceId: string, body: SendDto, idempotencyKey?: string): Promise<{ requestId: string }> {
    const m = body.message;
    const to = m.to;
    const userId = typeof to.user_id === 'string' && to.user_id ? to.user_id : null;
    const email = typeof to.email === 'string' && to.email ? to.email : null;
    const tenantId = typeof to.tenant_id === 'string' && to.tenant_id ? to.tenant_id : null;
    if (!userId && !email && !tenantId) throw badRequest('message.to needs user_id, email or tenant_id');
    if (!m.template && !m.content) throw badRequest('message needs template or content');
    if (m.routing?.method && !['single', 'all'].includes(m.routing.method)) throw badRequest('message.routing.method must be single or all');
    if (m.delay) {
      try {
        if (m.delay.duration !== undefined) parseDuration(m.delay.duration);
        else if (m.delay.until !== undefined) untilToDelayMs(m.delay.until, Date.now());
        else throw new DurationError('give duration or until');
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
      recipient: userId ?? email,
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
    };
    if (tenantId && !userId && !email) {
      await this.temporal.startIdempotent('sendRequestWorkflow', {
        taskQueue: this.temporal.taskQueue,
        workflowId: `send:${workspaceId}:${requestId}`,
        args: [{ request, tenantId, delay: m.delay ?? null }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
      return { requestId };
    }
    const workflowId = messageWorkflowId(workspaceId, requestId);
    // Recorded before the workflow starts, so the message can be listed (and canceled) at once.
    await this.messages.enqueue({ workspaceId, messageId: requestId, requestId, recipient: request.recipient, notification: request.template, to, workflowId });
    await this.temporal.startIdempotent('messageWorkflow', {
      taskQueue: this.temporal.taskQueue,
      workflowId,
      args: [{ request, delay: m.delay ?? null }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    return { requestId };
  }

  /** Cancels a message that has not been sent yet (409 once it has). */
  async cancel(workspaceId: string, messageId: string): Promise<MessageView> {
    const row = await this.messages.row(workspaceId, messageId);
    if (row.status !== 'ENQUEUED') throw conflict(`message is ${row.status}; only an ENQUEUED message can be canceled`);
    if (!row.workflow_id) throw conflict('this message is being sent by its automation run; cancel the run instead');
    await this.temporal.client.workflow.getHandle(row.workflow_id).cancel();
    const deadline = Date.now() + 15_000;
    let view = await this.messages.view(workspaceId, messageId);
    while (view.status === 'ENQUEUED' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      view = await this.messages.view(workspaceId, messageId);
    }
    if (view.status !== 'CANCELED') throw conflict(`message is ${view.status}; it was sent before the cancel arrived`);
    return view;
  }
}

