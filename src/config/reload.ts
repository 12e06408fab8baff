/**
 * Reloads the configuration while a node runs: when the config file changes, or on SIGHUP. The
 * whole configuration is loaded again exactly as at start (same flags, environment and file);
 * a file with any error is refused, every error logged, and the running configuration stays. A
 * good one applies its trace-level rules (filters, quality rules, sampling) at once, atomically per
 * worker; options that need a restart (sources, sink, windows, workers…) are named in a warning
 * and keep their running values.
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { StageSettings } from '../../workers/protocol.js';
import type { Logger } from '../telemetry/logger.js';
import { loadConfig } from './load.js';
import { redactConfig } from './redact.js';
import type { Config } from './schema.js';
import { toStageSettings } from './worker-settings.js';

/** Top-level config sections a reload applies; a change anywhere else needs a restart. */
const RELOADABLE = new Set(['filter', 'sample', 'check']);

export interface ReloadOptions {
  command: 'ingest';
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  /** The file to watch (absolute); without one, only SIGHUP reloads (flags and environment do not change). */
  configFile: string | undefined;
  log: Logger;
  /** Applies new trace-level rules to the running workers. */
  apply(stages: StageSettings, config: Config): void;
  /** Counts reloads by result (`applied`, `refused`, `unchanged`). */
  count?(result: 'applied' | 'refused' | 'unchanged'): void;
  /** Debounce for file events (editors write a file in several steps). [250] */
  debounceMs?: number;
}

export interface ReloadOutcome {
  result: 'applied' | 'refused' | 'unchanged';
  errors: readonly string[];
  /** Sections that changed but need a restart. */
  needsRestart: readonly string[];
}

export class ConfigReloader {
  private current: Config;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly onHup = (): void => {
    this.opts.log.info('SIGHUP: reloading the configuration');
    this.reload();
  };

  constructor(
    initial: Config,
    private readonly opts: ReloadOptions,
  ) {
    this.current = initial;
  }

  /** The configuration in force (for the admin `/config` view: redact before showing). */
  get config(): Config {
    return this.current;
  }

  start(): void {
    process.on('SIGHUP', this.onHup);
    const file = this.opts.configFile;
    if (file === undefined) return;
    // Watch the directory, not the file: editors and config managers replace the file (rename),
    // which ends a watch on the old inode.
    const name = basename(file);
    try {
      this.watcher = watch(dirname(file), (_event, changed) => {
        if (changed !== null && changed !== name) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.reload(), this.opts.debounceMs ?? 250);
      });
      this.watcher.on('error', (err) => this.opts.log.warn({ err: err.message, file }, 'config file watch failed; SIGHUP still reloads'));
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message, file }, 'cannot watch the config file; SIGHUP still reloads');
    }
  }

  stop(): void {
    process.off('SIGHUP', this.onHup);
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  /** Loads the configuration again and applies what may change at run time. */
  reload(): ReloadOutcome {
    const { log } = this.opts;
    const result = loadConfig({ command: this.opts.command, argv: this.opts.argv, env: this.opts.env });
    if (!result.ok) {
      const errors = result.errors;
      log.error(
        { code: 'TF_CONFIG', errors, file: this.opts.configFile },
        `configuration refused (${errors.length} error(s)); the running configuration stays`,
      );
      this.opts.count?.('refused');
      return { result: 'refused', errors, needsRestart: [] };
    }
    const next = result.config as Config;
    const before = redactConfig(this.current) as Record<string, unknown>;
    const after = redactConfig(next) as Record<string, unknown>;
    const changed = Object.keys({ ...before, ...after }).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    const needsRestart = changed.filter((k) => !RELOADABLE.has(k));
    if (needsRestart.length > 0) log.warn({ sections: needsRestart }, 'configuration changes that need a restart were not applied');
    const live = changed.filter((k) => RELOADABLE.has(k));
    if (live.length === 0) {
      this.opts.count?.('unchanged');
      log.info('configuration reloaded: no trace-level rule changed');
      return { result: 'unchanged', errors: [], needsRestart };
    }
    // Only the reloadable sections move to the new values: everything else keeps running as started.
    this.current = {
      ...this.current,
      ...Object.fromEntries(live.map((k) => [k, (next as unknown as Record<string, unknown>)[k]])),
    } as Config;
    this.opts.apply(toStageSettings(this.current), this.current);
    this.opts.count?.('applied');
    log.info({ sections: live }, 'configuration reloaded: trace-level rules applied');
    return { result: 'applied', errors: [], needsRestart };
  }
}
