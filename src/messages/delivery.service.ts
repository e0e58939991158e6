import { Injectable } from '@nestjs/common';
import type { DeliveryRequest, DeliveryResult } from './delivery.types';

/**
 * The delivery port the automation engine's `send` step calls. Notification templates and
 * channels arrive with the delivery capability; until then no template exists, so every send
 * ends UNMAPPED (the status a send to an unknown notification has anyway).
 */
@Injectable()
export class DeliveryService {
  async deliver(request: DeliveryRequest): Promise<DeliveryResult> {
    return { messageId: request.messageId, status: 'UNMAPPED' };
  }
}
