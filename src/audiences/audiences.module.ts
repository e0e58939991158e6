import { Module } from '@nestjs/common';
import { AudienceMembersRepository } from './audience-members.repository';
import { AudienceMembershipService } from './audience-membership.service';
import { AudienceRecomputeService } from './audience-recompute.service';
import { AudiencesController } from './audiences.controller';
import { AudiencesService } from './audiences.service';

/**
 * Audiences. Imports nothing of Herald's own (config, Temporal and the database are global), so
 * profiles, tenants and the inbound dispatcher can import it to refresh membership.
 */
@Module({
  controllers: [AudiencesController],
  providers: [AudiencesService, AudienceMembersRepository, AudienceMembershipService, AudienceRecomputeService],
  exports: [AudiencesService, AudienceMembershipService, AudienceRecomputeService],
})
export class AudiencesModule {}
