import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * The number in E.164 form (`+14155550100`) when it is a valid number in international form, else
 * null. No default country: a number without its country code is ambiguous, so it is refused.
 */
export function e164(value: string): string | null {
  if (value.length > 40) return null;
  const parsed = parsePhoneNumberFromString(value.trim());
  return parsed && parsed.isValid() ? parsed.number : null;
}
