import { z } from 'zod';
import { component, courierPage, dateTime, jsonObject } from '../common/openapi/schemas';

export const ListSchema = component(
  'List',
  z.object({ id: z.string(), name: z.string(), preferences: jsonObject().nullable(), created: dateTime(), updated: dateTime() }),
);
export const ListPageSchema = courierPage('ListPage', ListSchema);

export const ListSubscriptionPageSchema = courierPage(
  'ListSubscriptionPage',
  z.object({ recipientId: z.string(), preferences: jsonObject().nullable(), created: dateTime() }),
);

export const DebugSchema = component('KeyCheck', z.object({ status: z.literal('ok'), workspace_id: z.string() }));
