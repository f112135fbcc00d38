/**
 * CloudBroker speaks XML with dashed element names. Answers are parsed defensively:
 * bodies are size-capped by the client, any DOCTYPE is refused (the API never sends
 * one, and entity declarations are how XML bombs work), and only the five predefined
 * entities and character references are decoded.
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { CloudBrokerError } from './cloudbroker-error.js';

/** A record as the API sends it: element names (dashed) to their text. */
export type CbRecord = Record<string, string>;

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
});

const builder = new XMLBuilder({ format: false, suppressEmptyNode: false });

export function parseXml(text: string): Record<string, unknown> {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    throw new CloudBrokerError(
      'protocol',
      'refusing an answer with a DOCTYPE or entity declarations',
    );
  }
  try {
    const parsed: unknown = parser.parse(text, true);
    if (typeof parsed !== 'object' || parsed === null) throw new Error('no document');
    return parsed as Record<string, unknown>;
  } catch (err) {
    if (err instanceof CloudBrokerError) throw err;
    throw new CloudBrokerError(
      'protocol',
      `malformed XML in the answer (${(err as Error).message.split('\n')[0]})`,
    );
  }
}

/** One value or a list of them, as a list (a one-element list parses as a single value). */
export function asList<T>(value: T | T[] | undefined | ''): T[] {
  if (value === undefined || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

/** Flatten a parsed record: nested or empty elements become strings. */
export function toRecord(value: unknown): CbRecord {
  if (typeof value !== 'object' || value === null) {
    throw new CloudBrokerError('protocol', 'expected a record in the answer');
  }
  const record: CbRecord = {};
  for (const [key, field] of Object.entries(value)) {
    record[key] = typeof field === 'object' ? '' : String(field ?? '');
  }
  return record;
}

/** The records of a list answer, e.g. `<jobs><job>…</job></jobs>`. */
export function listOf(
  document: Record<string, unknown>,
  plural: string,
  singular: string,
): CbRecord[] {
  const root = document[plural];
  if (root === undefined)
    throw new CloudBrokerError('protocol', `expected <${plural}> in the answer`);
  if (root === '') return [];
  return asList((root as Record<string, unknown>)[singular]).map(toRecord);
}

/** The record of a one-record answer, e.g. `<job>…</job>`. */
export function recordOf(document: Record<string, unknown>, singular: string): CbRecord {
  if (!(singular in document))
    throw new CloudBrokerError('protocol', `expected <${singular}> in the answer`);
  return toRecord(document[singular]);
}

/** The messages and type of an `<errors>` answer, or undefined if it is not one. */
export function errorsOf(
  text: string,
): { messages: string[]; type: string | undefined } | undefined {
  if (!/<errors[\s>]/.test(text)) return undefined;
  try {
    const errors = parseXml(text).errors as Record<string, unknown> | undefined;
    if (!errors) return undefined;
    return {
      messages: asList(errors.error as string | string[]).map(String),
      type: errors.type === undefined ? undefined : String(errors.type),
    };
  } catch {
    return undefined;
  }
}

/** A request body: `<job><name>…</name>…</job>`, dashed names as the API documents them. */
export function buildXml(root: string, fields: Record<string, string | boolean>): string {
  const body: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) body[key] = String(value);
  return `<?xml version="1.0" encoding="UTF-8"?>${builder.build({ [root]: body })}`;
}
