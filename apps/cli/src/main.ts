// The `mediagate` command. Exit codes: 0 success, 1 failure (job failed, service unreachable),
// 2 bad input (nothing was enqueued), 130 interrupted.
import { Command, CommanderError, Option } from 'commander';
import { InputError } from '@mediagate/core';
import { ConfigError, HomeLockedError, RedisUnavailableError } from '@mediagate/engine';
import { ServerUnreachableError } from './client.ts';
import { configCheckCommand } from './commands/config.ts';
import { generateCommand } from './commands/generate.ts';
import { jobsCancel, jobsList, jobsShow, providersCommand } from './commands/inspect.ts';
import { migrateCommand } from './commands/migrate.ts';
import { presetsList } from './commands/presets.ts';
import { serveCommand } from './commands/serve.ts';
import { usageCommand } from './commands/usage.ts';

function run(action: () => Promise<number>): Promise<void> {
  return action().then((code) => {
    process.exitCode = code;
  });
}

const program = new Command('mediagate')
  .description('Self-hosted gateway and worker fleet for generative media')
  .version('0.1.0')
  .exitOverride()
  // Usage mistakes read like every other bad input: one `mediagate:` line on stderr.
  .configureOutput({
    outputError: (message, write) => write(`mediagate: ${message.replace(/^error: /, '').trimEnd()} (run with --help for usage)\n`),
  })
  // Accepted before or after any command; every command that opens the runtime reads it.
  .option('--config <file>', 'mediagate.config.yaml to use (default: MEDIAGATE_CONFIG, else ./mediagate.config.yaml)')
  .hook('preAction', (command) => {
    const file = command.opts<{ config?: string }>().config;
    if (file !== undefined) process.env.MEDIAGATE_CONFIG = file;
  });

const serverOption = () => new Option('--server <url>', 'talk to a running Mediagate instead of this machine');
const apiKeyOption = () => new Option('--api-key <key>', 'API key for the server (default: MEDIAGATE_API_KEY, then <MEDIAGATE_HOME>/api-key)');

program
  .command('generate')
  .description('generate an image, video or speech and save it')
  .argument('<kind>', 'image | video | speech')
  .argument('<prompt>', 'what to make (the text to speak, for speech)')
  .option('--provider <provider/model>', 'provider and model, e.g. local/card, simulated/image, or a route: draft, standard, high, master or one from the config')
  .option('--preset <name>', 'a preset: its model and params fill in what the flags leave out')
  .option('--pool <name>', "the provider's key pool to use (one from the config; default when absent)")
  .option('--webhook-url <url>', "POST the job's end to this http(s) URL, signed with your webhook secret")
  .option('--fallback <provider/model...>', 'targets tried in order when the provider fails')
  .option('--size <WxH>', 'explicit size, e.g. 1080x1350')
  .option('--aspect <ratio>', 'aspect ratio, e.g. 1:1, 16:9, 9:16, 4:5')
  .option('--duration <seconds>', 'video length')
  .option('--fps <n>', 'video frame rate')
  .option('--motion <motion>', 'video motion: zoom-in, zoom-out, pan-left, pan-right, pan-up, pan-down, rotate, none')
  .option('--image <file>', 'reference image (image-to-image, image-to-video)')
  .option('--mask <file>', 'PNG mask for --image: fully transparent where the image may change (same size)')
  .option('--remix-of <job-id>', 'remix the video of an earlier succeeded job with this prompt, on the model that made it')
  .option('--voice <voice>', 'speech voice')
  .option('--speed <x>', 'speech speed multiplier')
  .option('--narration <text>', 'text narrated over a video')
  .option('--seed <n>', 'seed for reproducible output')
  .option('--format <format>', 'png, jpeg, webp, mp4, wav, mp3 (default from -o)')
  .option('--theme <theme>', 'card theme: midnight, sunrise, paper, ocean, forest, neon, mono')
  .option('--layout <layout>', 'card layout: centered, left, poster')
  .option('--brand <text>', 'a brand or handle shown on the card')
  .option('--params <json>', 'further params as a JSON object')
  .option('-o, --output <file>', 'where to save the result')
  .option('--json', 'print one JSON object instead of text')
  .addOption(serverOption())
  .addOption(apiKeyOption())
  .action((kind: string, prompt: string, flags) => run(() => generateCommand(kind, prompt, flags)));

program.command('start').description('run the API and workers in one process (port 7878, PORT)').action(() => run(() => serveCommand('start', {})));
program.command('api').description('run the HTTP API only').action(() => run(() => serveCommand('api', {})));
program
  .command('worker')
  .description('run workers that consume the provider queues')
  .option('--providers <ids>', 'comma-separated provider ids to consume (default: all)')
  .action((flags: { providers?: string }) => run(() => serveCommand('worker', flags)));
program.command('migrate').description('apply database migrations').action(() => run(migrateCommand));

const jobs = program.command('jobs').description('list, show and cancel jobs');
jobs
  .command('list')
  .option('--status <status>', 'queued, running, succeeded, failed, canceled')
  .option('--limit <n>', 'how many (default 20)')
  .option('--json', 'print JSON')
  .addOption(serverOption())
  .addOption(apiKeyOption())
  .action((flags) => run(() => jobsList(flags)));
jobs
  .command('show')
  .argument('<id>')
  .option('--json', 'print JSON')
  .addOption(serverOption())
  .addOption(apiKeyOption())
  .action((id: string, flags) => run(() => jobsShow(id, flags)));
jobs
  .command('cancel')
  .argument('<id>')
  .option('--json', 'print JSON')
  .addOption(serverOption())
  .addOption(apiKeyOption())
  .action((id: string, flags) => run(() => jobsCancel(id, flags)));

program
  .command('providers')
  .description('configured providers with their capabilities and status')
  .option('--json', 'print JSON')
  .addOption(serverOption())
  .addOption(apiKeyOption())
  .action((flags) => run(() => providersCommand(flags)));

program
  .command('usage')
  .description("your attempts and spend by provider, model, UTC day or key, and what your budgets have left")
  .option('--group-by <group>', 'provider, model, day or key (default provider)')
  .option('--from <date>', 'only attempts started at or after this date/time (e.g. 2026-11-01)')
  .option('--to <date>', 'only attempts started before this date/time')
  .option('--json', 'print JSON (as GET /v1/usage)')
  .addOption(serverOption())
  .addOption(apiKeyOption())
  .action((flags) => run(() => usageCommand(flags)));

program
  .command('presets')
  .description('presets a job can name with --preset')
  .command('list')
  .description('your presets and the config file\'s, with how their jobs ended')
  .option('--json', 'print JSON (as GET /v1/presets)')
  .addOption(serverOption())
  .addOption(apiKeyOption())
  .action((flags) => run(() => presetsList(flags)));

program
  .command('config')
  .description('the config file')
  .command('check')
  .description('validate the config (env references, providers, models, routes) and print a summary')
  .option('--json', 'print JSON')
  .action((flags: { json?: boolean }) => run(() => configCheckCommand(flags)));

function fail(code: number, message: string): void {
  process.stderr.write(`mediagate: ${message}\n`);
  process.exitCode = code;
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version are not errors; usage mistakes are bad input.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof InputError || error instanceof ConfigError) {
    fail(2, error.message);
  } else if (error instanceof RedisUnavailableError || error instanceof HomeLockedError || error instanceof ServerUnreachableError) {
    fail(1, error.message);
  } else {
    fail(1, process.env.DEBUG ? String((error as Error).stack) : (error as Error).message);
  }
}
