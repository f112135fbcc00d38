/**
 * CloudBroker's faults, one kind each, so callers can tell a retry from a refusal.
 * Messages are composed here and never carry credentials: the HTTP library's errors,
 * which hold the request's auth, are never kept as causes.
 */
import { MicadoError } from '../errors.js';

export type CloudBrokerFault =
  | 'authentication' // wrong email or password
  | 'missing rights' // the account may not do this
  | 'wrong status' // the record is not in a state that allows it
  | 'not found' // no such record
  | 'unavailable' // timeouts, refused connections, 5xx, 408, 429: worth retrying
  | 'refused' // any other 4xx: the request as made is wrong (a flavour the cloud lacks); asked again, refused again
  | 'protocol'; // an answer that is not what the API sends (malformed, unexpected)

export class CloudBrokerError extends MicadoError {
  constructor(
    readonly fault: CloudBrokerFault,
    message: string,
  ) {
    super(fault === 'unavailable' ? 'transient' : 'cloud', `CloudBroker: ${message}`);
    this.name = 'CloudBrokerError';
  }
}

const KNOWN_TYPES: Record<string, CloudBrokerFault> = {
  'wrong status': 'wrong status',
  'missing rights': 'missing rights',
  authentication: 'authentication',
};

/** The fault an `<errors>` body names, from its `<type>` or its text. */
export function faultOf(
  type: string | undefined,
  messages: string[],
  status: number,
): CloudBrokerFault {
  const known = type ? KNOWN_TYPES[type.trim().toLowerCase()] : undefined;
  if (known) return known;
  if (status === 404 || messages.some((m) => /404: record not found/i.test(m))) return 'not found';
  if (status === 401) return 'authentication';
  if (status === 403) return 'missing rights';
  // Timed out, or too many requests: the same request may pass later.
  if (status === 408 || status === 429) return 'unavailable';
  // A conflict with the record's state, which changes by itself (a VM still starting).
  if (status === 409) return 'wrong status';
  if (status >= 400 && status < 500) return 'refused';
  if (status >= 500) return 'unavailable';
  return 'protocol';
}
