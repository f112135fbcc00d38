/** The behaviour behind each command, injected into the program so commands can be tested alone. */
import type { CommandContext } from '../context.js';

export interface UpOptions {
  json?: boolean;
}
export interface DownOptions {
  purge?: boolean;
  json?: boolean;
}
export interface StatusOptions {
  json?: boolean;
}
export interface StartOptions {
  cloud: string;
  flavour: string;
  tag: string;
  name: string;
  json?: boolean;
}
export interface StopOptions {
  tag: string;
  json?: boolean;
}

export interface Actions {
  up(ctx: CommandContext, options: UpOptions): Promise<void>;
  down(ctx: CommandContext, options: DownOptions): Promise<void>;
  status(ctx: CommandContext, options: StatusOptions): Promise<void>;
  start(ctx: CommandContext, options: StartOptions): Promise<void>;
  stop(ctx: CommandContext, options: StopOptions): Promise<void>;
}
