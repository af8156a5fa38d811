// Live progress for long generations: a bar on a terminal, nothing on a pipe (scripts use --json).
import cliProgress from 'cli-progress';

export interface ProgressDisplay {
  update(progress: number, status: string): void;
  stop(): void;
}

export function createProgress(label: string, enabled: boolean): ProgressDisplay {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} {bar} {percentage}% | {status}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(100, 0, { status: 'queued' });
  return {
    update(progress, status) {
      bar.update(Math.max(0, Math.min(100, progress)), { status });
    },
    stop() {
      bar.stop();
    },
  };
}
