import Analytics from '@rudderstack/rudder-sdk-node';
import { mapWithConcurrency } from '../../src/common/concurrency';
import type { MessageView } from '../../src/messages/delivery.types';
import { messageEvent } from '../../src/outbox/outbound-event';
import { OutboxService } from '../../src/outbox/outbox.service';
import { Api, check, Ctx, fmt, goal, newWorkspace, Row, secondsSince, times, waitFor } from '../common';
import { settings } from '../settings';

/**
 * 5. Outbound: N message events through Herald's emitter to the local sink, produced as a status
 * change produces them (its outbox row in a transaction, then a coalesced wake of `emitter:<ws>`)
 * by C producers, vs the bare RudderStack SDK sending the same N events to the same sink with the
 * same batch size and flush interval. Both from the first event to the last one received.
 */
export async function outboundScenario(ctx: Ctx): Promise<Row[]> {
  const n = settings.outboundEvents;
  const { batchSize } = ctx.config.outbound;
  // The bare SDK flushes a partial batch after this long (the emitter sends what is pending at once).
  const flushMs = 1000;
  const api = new Api(ctx.apiUrl, 2);
  try {
    const ws = await newWorkspace(ctx, 'outbound');
    const emitterKey = `emit-${ctx.tag}`;
    const sdkKey = `sdk-${ctx.tag}`;
    await api.call('PUT', '/integrations/rudderstack', ws.key, { write_key: emitterKey, data_plane_url: ctx.sink.url, enabled: true });
    const outbox = ctx.herald.app.get(OutboxService);
    const view = sampleView();

    console.log(`    emitter: ${n} message events from ${settings.connections} producers (batch ${batchSize}, flush ${flushMs} ms)…`);
    const t0 = Date.now();
    await mapWithConcurrency(Array.from({ length: n }, (_, i) => i), settings.connections, async (i) => {
      const event = messageEvent(ws.id, 'SENT', { ...view, id: `bench-out-${i}`, run_id: null }, Date.now())!;
      if (await outbox.append(ctx.db, ws.id, [event], 'message')) void outbox.wake(ws.id);
    });
    const producedSeconds = secondsSince(t0);
    const emitted = await waitFor('outbound: emitter events at the sink', async () => {
      const c = ctx.sink.count(emitterKey);
      return { done: c >= n, progress: c, note: `${c}/${n}` };
    }, 50);
    const emitterSeconds = secondsSince(t0, ctx.sink.lastAt(emitterKey) || emitted.at);
    const emitterRate = ctx.sink.count(emitterKey) / emitterSeconds;
    console.log(`    emitter: ${ctx.sink.count(emitterKey)} events in ${ctx.sink.requests(emitterKey)} requests, ${emitterSeconds.toFixed(2)} s (rows written in ${producedSeconds.toFixed(2)} s): ${emitterRate.toFixed(0)} ev/s`);

    console.log(`    bare SDK: ${n} track calls (flushAt ${batchSize}, flushInterval ${flushMs} ms)…`);
    const client = new Analytics(sdkKey, { dataPlaneUrl: ctx.sink.url, flushAt: batchSize, flushInterval: flushMs, retryCount: 0, logLevel: 'none', maxQueueSize: 64 * 1024 * 1024 } as never);
    const b0 = Date.now();
    for (let i = 0; i < n; i++) {
      const e = messageEvent(ws.id, 'SENT', { ...view, id: `bench-sdk-${i}`, run_id: null }, Date.now())!;
      client.track({ userId: e.userId, event: e.event, properties: e.properties as never, timestamp: new Date(e.timestamp), messageId: e.messageId } as never);
    }
    await client.flush();
    const direct = await waitFor('outbound: SDK events at the sink', async () => {
      const c = ctx.sink.count(sdkKey);
      return { done: c >= n, progress: c, note: `${c}/${n}` };
    }, 50);
    const sdkSeconds = secondsSince(b0, ctx.sink.lastAt(sdkKey) || direct.at);
    const sdkRate = ctx.sink.count(sdkKey) / sdkSeconds;
    console.log(`    bare SDK: ${ctx.sink.count(sdkKey)} events in ${ctx.sink.requests(sdkKey)} requests, ${sdkSeconds.toFixed(2)} s: ${sdkRate.toFixed(0)} ev/s`);

    const ratio = emitterRate / sdkRate;
    const timeout = emitted.timedOut ? ` — TIMEOUT (${emitted.reason})` : '';
    return [{
      scenario: `5 outbound: ${n} message events to a local data plane`,
      herald: `${fmt(emitterRate)} ev/s (outbox row + wake per event, ${settings.connections} producers → emitter, ${ctx.sink.requests(emitterKey)} requests)${timeout}`,
      baseline: `${fmt(sdkRate)} ev/s (bare SDK, same flushAt ${batchSize} / flushInterval ${flushMs} ms, ${ctx.sink.requests(sdkKey)} requests)`,
      ratio: times(ratio),
      goal: goal('≥ 0.9×', emitted.timedOut ? false : check(ratio, (r) => r >= 0.9)),
      detail: {
        workspace: ws.id, events: n, batchSize, flushMs, producers: settings.connections, producedSeconds,
        emitter: { received: ctx.sink.count(emitterKey), requests: ctx.sink.requests(emitterKey), seconds: emitterSeconds, rate: emitterRate, timedOut: emitted.timedOut },
        sdk: { received: ctx.sink.count(sdkKey), requests: ctx.sink.requests(sdkKey), seconds: sdkSeconds, rate: sdkRate, timedOut: direct.timedOut },
      },
    }];
  } finally {
    await api.close();
  }
}

/** A message as the API shows it (what a status change's event carries). */
function sampleView(): MessageView {
  const now = Date.now();
  return {
    id: 'bench-out', status: 'SENT', recipient: 'bench-user', notification: 'note', event: 'track/BenchE2E', run_id: null, request_id: null,
    channels: ['inbox'], providers: {}, to: { user_id: 'bench-user' }, error: null, reason: null, scheduled_for: null,
    enqueued: now, sent: now, delivered: null, opened: null, clicked: null, canceled: null,
  };
}
