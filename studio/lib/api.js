// The public Herald API, called with the key the user signed in with (kept in sessionStorage only).
import createClient from 'openapi-fetch';

const KEY = 'herald.studio.key';
const FLASH = 'herald.studio.flash';

export const getKey = () => sessionStorage.getItem(KEY);
export const setKey = (key) => sessionStorage.setItem(KEY, key);
export function signOut(message) {
  sessionStorage.removeItem(KEY);
  if (message) sessionStorage.setItem(FLASH, message);
  location.hash = '#/signin';
}
/** A one-time message for the sign-in page (e.g. why the user was signed out). */
export function takeFlash() {
  const message = sessionStorage.getItem(FLASH);
  sessionStorage.removeItem(FLASH);
  return message;
}

export const enc = encodeURIComponent;

export class ApiError extends Error {
  constructor(status, message, type) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

/** openapi-fetch underneath: the same client the typed tests use, against Herald's OpenAPI paths. */
const client = createClient({ baseUrl: location.origin });

/**
 * Calls the API. Errors throw ApiError with the API's `message`. A 401 during a session signs
 * the user out (unless `key` is given explicitly, as the sign-in check does).
 */
export async function api(method, path, { query, body, key, headers } = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
  }
  let result;
  try {
    result = await client.request(method, url.pathname, {
      body,
      headers: { Authorization: `Bearer ${key ?? getKey() ?? ''}`, Accept: 'application/json', ...headers },
      // The query is already encoded in `url` (merged with any the path carried).
      querySerializer: () => url.searchParams.toString(),
      // Parsed here, so a body that is not JSON still reaches the caller as a message.
      parseAs: 'text',
    });
  } catch (err) {
    throw new ApiError(0, `Herald could not be reached (${err.message})`, 'network_error');
  }
  const { data, error, response: res } = result;
  if (!res.ok) {
    const problem = typeof error === 'string' ? (error ? { message: error } : null) : error;
    if (res.status === 401 && key === undefined) signOut('Your key is no longer accepted; sign in again.');
    throw new ApiError(res.status, problem?.message ?? `${res.status} ${res.statusText}`, problem?.type);
  }
  if (!data) return null;
  try {
    return JSON.parse(data);
  } catch {
    return { message: data };
  }
}

export const get = (path, query) => api('GET', path, { query });
export const post = (path, body, opts = {}) => api('POST', path, { body, ...opts });
export const put = (path, body) => api('PUT', path, { body });
export const del = (path) => api('DELETE', path);
