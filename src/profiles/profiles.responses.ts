import { z } from 'zod';
import { component, jsonObject } from '../common/openapi/schemas';

export const ProfileSchema = component('Profile', z.object({ profile: jsonObject() }));
