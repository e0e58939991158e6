import { Foundation1764400000000 } from './1764400000000-foundation';
import { Automations1764500000000 } from './1764500000000-automations';
import { Delivery1764600000000 } from './1764600000000-delivery';
import { Outbound1764700000000 } from './1764700000000-outbound';
import { Pipeline1764800000000 } from './1764800000000-pipeline';
import { WebhookHosts1764900000000 } from './1764900000000-webhook-hosts';
import { Suppressions1765000000000 } from './1765000000000-suppressions';
import { Preferences1765100000000 } from './1765100000000-preferences';
import { TenantPreferences1765200000000 } from './1765200000000-tenant-preferences';
import { PreferenceChanges1765300000000 } from './1765300000000-preference-changes';
import { DeliveryWindows1765400000000 } from './1765400000000-delivery-windows';
import { PreferenceEvents1765500000000 } from './1765500000000-preference-events';
import { Lists1765600000000 } from './1765600000000-lists';
import { Broadcasts1765650000000 } from './1765650000000-broadcasts';
import { Audiences1765700000000 } from './1765700000000-audiences';
import { Schedules1765800000000 } from './1765800000000-schedules';
import { Dashboard1765900000000 } from './1765900000000-dashboard';
import { EventReplays1765950000000 } from './1765950000000-event-replays';
import { Providers1766000000000 } from './1766000000000-providers';
import { ProviderRateWindow1766100000000 } from './1766100000000-provider-rate-window';
import { PendingReceipts1766200000000 } from './1766200000000-pending-receipts';
import { PushReceiptTickets1766300000000 } from './1766300000000-push-receipt-tickets';

/** Committed migrations, in order. */
export const MIGRATIONS: Function[] = [Foundation1764400000000, Automations1764500000000, Delivery1764600000000, Outbound1764700000000, Pipeline1764800000000, WebhookHosts1764900000000, Suppressions1765000000000, Preferences1765100000000, TenantPreferences1765200000000, PreferenceChanges1765300000000, DeliveryWindows1765400000000, PreferenceEvents1765500000000, Lists1765600000000, Broadcasts1765650000000, Audiences1765700000000, Schedules1765800000000, Dashboard1765900000000, EventReplays1765950000000, Providers1766000000000, ProviderRateWindow1766100000000, PendingReceipts1766200000000, PushReceiptTickets1766300000000];
