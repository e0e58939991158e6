import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'herald:isPublic';
/** Marks a route that needs no API key (health, docs, tracking links). Everything else is guarded. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
