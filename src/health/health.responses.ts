import { z } from 'zod';
import { component } from '../common/openapi/schemas';

export const HealthSchema = component('Health', z.object({ status: z.literal('ok') }));

export const ReadinessSchema = component(
  'Readiness',
  z.object({ status: z.enum(['ok', 'unavailable']), database: z.enum(['up', 'down']), temporal: z.enum(['up', 'down']) }),
);
