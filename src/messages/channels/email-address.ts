import isEmail from 'validator/lib/isEmail';

/**
 * One addr-spec (`local@domain`) and nothing else: no list, group, display name or header
 * characters, however the value reached Herald (an identify trait, `to.email`).
 */
export function isSingleEmailAddress(value: string): boolean {
  return value.length <= 254 && !/[\r\n,;<>]/.test(value) && isEmail(value, { allow_display_name: false, require_tld: false, allow_ip_domain: false });
}
