import { PreferencesPageController } from '../preferences/preferences-page.controller';
import { UnsubscribeMailboxService } from '../preferences/unsubscribe-mailbox.service';
import { UnsubscribeController } from '../preferences/unsubscribe.controller';
import { PreferencesModule } from '../preferences/preferences.module';
import { SuppressionsController } from './suppressions.controller';
import { SuppressionsService } from './suppressions.service';
import { WebhookHostsService } from './webhook-hosts.service';
import { Module } from '@nestjs/common';
import { ProvidersModule } from '../providers/providers.module';
import { ProviderDeliveryService } from './provider-delivery.service';
import { ReceiptsController } from './receipts.controller';
import { PushReceiptsService } from './push-receipts.service';
import { ReceiptsService } from './receipts.service';
import { NotificationsModule } from '../notifications/notifications.module';
import { OutboxModule } from '../outbox/outbox.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { TenantsModule } from '../tenants/tenants.module';
import { EmailChannel } from './channels/email.channel';
import { InboxChannel } from './channels/inbox.channel';
import { WebhookChannel } from './channels/webhook.channel';
import { DeliveryService } from './delivery.service';
import { DeliverySettingsController } from './delivery-settings.controller';
import { DeliveryWindowsService } from './delivery-windows.service';
import { FanOutService } from './fan-out.service';
import { InboxController } from './inbox.controller';
import { InboxService } from './inbox.service';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';
import { SecretsService } from './secrets.service';
import { SendService } from './send.service';
import { TrackingController } from './tracking/tracking.controller';

@Module({
  imports: [NotificationsModule, ProfilesModule, TenantsModule, OutboxModule, PreferencesModule, ProvidersModule],
  controllers: [ReceiptsController, DeliverySettingsController, MessagesController, InboxController, TrackingController, SuppressionsController, UnsubscribeController, PreferencesPageController],
  providers: [ReceiptsService, PushReceiptsService, ProviderDeliveryService, DeliveryWindowsService, DeliveryService, MessagesService, SecretsService, SendService, FanOutService, InboxService, EmailChannel, InboxChannel, WebhookChannel, WebhookHostsService, SuppressionsService, UnsubscribeMailboxService],
  exports: [PushReceiptsService, DeliveryWindowsService, DeliveryService, MessagesService, SecretsService, FanOutService, UnsubscribeMailboxService, SendService],
})
export class MessagesModule {}
