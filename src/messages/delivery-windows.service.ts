import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { DataSource } from 'typeorm';
import { isTimestampText, parseDuration, untilToDelayMs } from '../../workflows/shared/durations';
import { badRequest } from '../common/errors/api-error';
import { firstTimeZone, isTimeZone, nextOpening, WindowError, windowProblem } from '../common/time/delivery-window';

/** How long a process trusts the settings it read: a change reaches every worker within this long. */
const TTL_MS = 5_000;

export interface DeliverySettings {
  /** The zone of recipients whose profile names none (IANA, e.g. "Europe/Oslo"); null: UTC. */
  default_timezone: string | null;
  /** The window non-REQUIRED messages may go out in (opening hours); outside it they are held. Null: no quiet hours. */
  quiet_hours: string | null;
}

type Fields = Record<string, unknown> | null | undefined;

/**
 * Delivery windows and quiet hours (SPEC section 7): which zone a recipient is in, when a
 * window's `until` is, and whether quiet hours hold a message now.
 */
@Injectable()
export class DeliveryWindowsService {
  private readonly cache = new LRUCache<string, DeliverySettings>({ max: 10_000, ttl: TTL_MS });

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async settings(workspaceId: string): Promise<DeliverySettings> {
    const hit = this.cache.get(workspaceId);
    if (hit) return hit;
    const [row] = (await this.db.query(`SELECT default_timezone, quiet_hours FROM workspaces WHERE id = $1`, [workspaceId])) as DeliverySettings[];
    const value = { default_timezone: row?.default_timezone ?? null, quiet_hours: row?.quiet_hours ?? null };
    this.cache.set(workspaceId, value);
    return value;
  }

  /** PUT /settings/delivery: fields left out keep their value; null clears one. */
  async update(workspaceId: string, body: unknown): Promise<DeliverySettings> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('body must be { default_timezone?, quiet_hours? }');
    const b = body as Record<string, unknown>;
    const unknown = Object.keys(b).filter((k) => k !== 'default_timezone' && k !== 'quiet_hours');
    if (unknown.length) throw badRequest(`unknown field ${JSON.stringify(unknown[0])}: give default_timezone and/or quiet_hours`);
    const next = { ...(await this.settings(workspaceId)) };
    if (b.default_timezone !== undefined) {
      if (b.default_timezone !== null && !isTimeZone(b.default_timezone)) throw badRequest('default_timezone must be an IANA time zone such as "Europe/Oslo" (or null)');
      next.default_timezone = b.default_timezone as string | null;
    }
    if (b.quiet_hours !== undefined) {
      const problem = b.quiet_hours === null ? null : windowProblem(b.quiet_hours);
      if (problem) throw badRequest(`quiet_hours: ${problem} (the window messages may go out in, e.g. "Mo-Su 08:00-21:00")`);
      if (b.quiet_hours !== null) {
        try {
          nextOpening(b.quiet_hours as string, 'UTC', Date.now());
        } catch (err) {
          throw badRequest(`quiet_hours: ${(err as Error).message}`);
        }
      }
      next.quiet_hours = b.quiet_hours as string | null;
    }
    await this.db.query(`UPDATE workspaces SET default_timezone = $2, quiet_hours = $3 WHERE id = $1`, [workspaceId, next.default_timezone, next.quiet_hours]);
    this.cache.set(workspaceId, next);
    return next;
  }

  /** The recipient's zone: `to.zoneinfo` > `to.timezone` > profile `zoneinfo` > `timezone` > the workspace's default > UTC. */
  async zoneFor(workspaceId: string, to: Fields, profile: Fields): Promise<string> {
    const { default_timezone } = await this.settings(workspaceId);
    return firstTimeZone(to?.zoneinfo, to?.timezone, profile?.zoneinfo, profile?.timezone, default_timezone);
  }

  /**
   * Epoch ms a delay's `until` means for this recipient: the timestamp, or the window's next
   * opening in the recipient's zone (now when it is open). Throws DurationError or WindowError.
   */
  async untilAt(workspaceId: string, until: unknown, to: Fields, profile: Fields, nowMs = Date.now()): Promise<number> {
    if (isTimestampText(until) || typeof until !== 'string') return nowMs + untilToDelayMs(until, nowMs);
    return nextOpening(until, await this.zoneFor(workspaceId, to, profile), nowMs);
  }

  /**
   * When a message's `delay` ends for this recipient (null: it is over, or none): a duration
   * from now, a timestamp, or a window's next opening in the recipient's zone. The profile is
   * read only for a window. Throws DurationError or WindowError.
   */
  async delayEndsAt(workspaceId: string, delay: { duration?: string | number; until?: unknown } | null, to: Fields, profile: () => Promise<Fields>, nowMs = Date.now()): Promise<Date | null> {
    if (!delay) return null;
    const at =
      delay.duration !== undefined
        ? nowMs + parseDuration(delay.duration)
        : await this.untilAt(workspaceId, delay.until, to, isTimestampText(delay.until) || typeof delay.until !== 'string' ? null : await profile(), nowMs);
    return at > nowMs ? new Date(at) : null;
  }

  /** When quiet hours hold a message to this recipient until (epoch ms), or null when it may go now. */
  async quietHoursUntil(workspaceId: string, to: Fields, profile: Fields, nowMs = Date.now()): Promise<number | null> {
    const { quiet_hours } = await this.settings(workspaceId);
    if (!quiet_hours) return null;
    try {
      const at = nextOpening(quiet_hours, await this.zoneFor(workspaceId, to, profile), nowMs);
      return at > nowMs ? at : null;
    } catch (err) {
      // A window with dates that has run out holds nothing (holding forever would lose the message).
      if (err instanceof WindowError) return null;
      throw err;
    }
  }
}
