/** The manager daemon and what it serves: the dashboard and the service catalog. */
import type { Command } from 'commander';
import type { DashboardOptions, ManagerOptions, ServicesOptions } from '../actions/actions.js';
import type { Run } from '../context.js';

export function registerManager(program: Command, run: Run<ManagerOptions>): void {
  program
    .command('manager')
    .description(
      'run the manager in the foreground: autoscaling, the monitor, /healthz and /metrics (micado up starts it)',
    )
    .option('--dry-run', 'decide, log and record every decision, but change nothing')
    .option('--listen <host:port>', 'address of /healthz and /metrics (default 127.0.0.1:9465)')
    .action(run);
}

export function registerDashboard(program: Command, run: Run<DashboardOptions>): void {
  program
    .command('dashboard')
    .description("print the address of the manager's web dashboard (read-only, live)")
    .option('--open', "open it in this machine's browser too")
    .option('--json', 'print the address as JSON')
    .action(run);
}

export function registerServices(program: Command, run: Run<ServicesOptions>): void {
  program
    .command('services')
    .description(
      'show the service catalog: each container, its client and domain, where its tasks run and their health',
    )
    .option('--json', 'print the catalog as JSON')
    .action(run);
}
