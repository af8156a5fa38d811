// `mediagate usage [--group-by provider|model|day|key] [--from] [--to] [--json]`: the tenant's
// attempts and spend, and its budget periods, as GET /v1/usage answers them — from the server
// when one is given or running, else from this machine's database (the default tenant).
import { InputError } from '@mediagate/core';
import { usageGroups, type UsageGroup } from '@mediagate/db';
import { budgetStatus, createLogger, createRuntime, defaultTenantId, formatUsd, type Runtime } from '@mediagate/engine';
import type { UsageReport } from '@mediagate/sdk';
import { clientFor, type ServerFlags } from '../server.ts';

export interface UsageFlags extends ServerFlags {
  groupBy?: string;
  from?: string;
  to?: string;
  json?: boolean;
}

function parseGroup(value: string | undefined): UsageGroup {
  if (value === undefined) return 'provider';
  if (!(usageGroups as readonly string[]).includes(value)) {
    throw new InputError(`--group-by: "${value}" is not one of: ${usageGroups.join(', ')}`, { field: 'group_by', allowed: usageGroups });
  }
  return value as UsageGroup;
}

/** An instant the server accepts (ISO 8601 with offset), from anything Date understands, e.g. 2026-11-01. */
function parseInstant(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const at = Date.parse(value);
  if (value.trim() === '' || Number.isNaN(at)) throw new InputError(`--${flag}: "${value}" is not a date or time, e.g. 2026-11-01 or 2026-11-01T12:00:00Z`, { field: flag });
  return new Date(at).toISOString();
}

async function localReport(groupBy: UsageGroup, from: string | undefined, to: string | undefined): Promise<UsageReport> {
  const runtime: Runtime = await createRuntime({ command: 'usage', logger: createLogger(process.env.LOG_LEVEL ?? 'warn') });
  try {
    const [rows, budgets] = await Promise.all([
      runtime.repo.spending.usage({
        tenantId: defaultTenantId,
        groupBy,
        ...(from === undefined ? {} : { from: new Date(from) }),
        ...(to === undefined ? {} : { to: new Date(to) }),
      }),
      budgetStatus(runtime, defaultTenantId),
    ]);
    const total = rows.reduce((sum, row) => sum + row.costUsd, 0);
    return {
      object: 'usage',
      group_by: groupBy,
      data: rows.map((row) => ({ [groupBy]: row.group, jobs: row.jobs, attempts: row.attempts, succeeded: row.succeeded, failed: row.failed, cost_usd: row.costUsd })),
      total_cost_usd: Math.round(total * 1e6) / 1e6,
      budgets,
    };
  } finally {
    await runtime.close();
  }
}

function table(report: UsageReport): string {
  const header = [report.group_by, 'jobs', 'attempts', 'succeeded', 'failed', 'cost'];
  const rows = report.data.map((row) => [row[report.group_by] ?? '', String(row.jobs), String(row.attempts), String(row.succeeded), String(row.failed), formatUsd(row.cost_usd)]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  const lines = rows.length > 0 ? [line(header), ...rows.map(line)] : ['no usage'];
  lines.push(`total ${formatUsd(report.total_cost_usd)}`);
  for (const budget of report.budgets) {
    lines.push(
      `${budget.name} budget (${budget.period}): ${formatUsd(budget.limit_usd)} limit, ${formatUsd(budget.spent_usd)} spent, ${formatUsd(budget.reserved_usd)} reserved, ${formatUsd(budget.remaining_usd)} remaining`,
    );
  }
  return lines.join('\n');
}

export async function usageCommand(flags: UsageFlags): Promise<number> {
  const groupBy = parseGroup(flags.groupBy);
  const from = parseInstant('from', flags.from);
  const to = parseInstant('to', flags.to);
  const client = clientFor(flags);
  let report: UsageReport;
  if (client) {
    const query = new URLSearchParams({ group_by: groupBy, ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) });
    report = await client.request<UsageReport>('GET', `/v1/usage?${query}`);
  } else {
    report = await localReport(groupBy, from, to);
  }
  process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : `${table(report)}\n`);
  return 0;
}
