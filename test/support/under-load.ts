/**
 * Debian's wrk as the load under a test: a client no one here wrote, that honours
 * `Connection: close` as browsers do (nginx closes a kept-alive connection after 1000
 * requests). It runs until interrupted, its output read line by line (stdbuf): what the
 * test does starts once wrk says it runs, and wrk's summary (wrk-report.lua) is one
 * JSON line at its end.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

const WRK_REPORT = join(import.meta.dirname, 'wrk-report.lua');

/** wrk's summary: requests, socket errors by kind, and answers other than 2xx or 3xx. */
export interface LoadReport {
  requests: number;
  connect: number;
  read: number;
  write: number;
  timeout: number;
  status: number;
  /** Whether the load still ran when `during` ended (it did not end on its own). */
  ranThrough: boolean;
}

/** Run `during` under wrk's load (2 threads, 8 connections) on `http://address/` for `host`. */
export async function underLoad(
  address: string,
  host: string,
  during: () => Promise<void>,
): Promise<LoadReport> {
  const wrk = spawn('stdbuf', ['-oL', 'wrk', '-t', '2', '-c', '8', '-d', '600', '-H', `Host: ${host}`, '-s', WRK_REPORT, `http://${address}/`], { stdio: ['ignore', 'pipe', 'inherit'] }); // prettier-ignore
  // However the test ends, timed out included, the load stops with it.
  onTestFinished(() => void (wrk.exitCode === null && wrk.kill('SIGINT')));
  const exited = new Promise<void>((resolve) => wrk.on('exit', () => resolve()));
  let output = '';
  let ranThrough = false;
  try {
    await new Promise<void>((resolve, reject) => {
      wrk.stdout.on('data', (chunk: Buffer) => {
        output += chunk;
        if (output.includes('Running')) resolve();
      });
      wrk.on('exit', () => reject(new Error(`the load ended before it began: ${output}`)));
    });
    await during();
    ranThrough = wrk.exitCode === null;
  } finally {
    wrk.kill('SIGINT');
    await exited;
  }
  const summary = output.split('\n').find((line) => line.startsWith('{'));
  if (!summary) throw new Error(`wrk printed no summary: ${output}`);
  return { ...(JSON.parse(summary) as Omit<LoadReport, 'ranThrough'>), ranThrough };
}

/** What a test asserts of a load that served every request. */
export const NOT_ONE_FAILED = { connect: 0, read: 0, write: 0, timeout: 0, status: 0 };

/** The report's failures, to compare with NOT_ONE_FAILED. */
export function failuresOf({ connect, read, write, timeout, status }: LoadReport) {
  return { connect, read, write, timeout, status };
}
