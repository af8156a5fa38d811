// `mediagate generate image|video|speech "<prompt>"`: validate flags, run locally or against a
// server, print the result. Exit 0 on success, 1 when the job failed, 2 on bad input.
import { InputError } from '@mediagate/core';
import type { GenerateFlags } from '../request-options.ts';
import { buildRequest, checkOutputDirectory, parseKind } from '../request-options.ts';
import { createProgress } from '../progress.ts';
import { printResult } from '../result.ts';
import { generateLocal } from './generate-local.ts';
import { generateRemote } from './generate-remote.ts';
import { clientFor } from '../server.ts';

export async function generateCommand(kindArg: string, prompt: string, flags: GenerateFlags): Promise<number> {
  const kind = parseKind(kindArg);
  const request = buildRequest(kind, prompt, flags);
  if (flags.mask !== undefined && flags.image === undefined) {
    throw new InputError('--mask: a mask marks where the --image file may change; give --image too', { field: 'mask' });
  }
  checkOutputDirectory(flags.output);
  const progress = createProgress(kind, !flags.json);
  const client = clientFor(flags);
  const options = {
    ...(flags.image !== undefined ? { image: flags.image } : {}),
    ...(flags.mask !== undefined ? { mask: flags.mask } : {}),
    ...(flags.output !== undefined ? { output: flags.output } : {}),
  };
  const result = client
    ? await generateRemote(client, request, options, progress)
    : await generateLocal(request, options, progress);
  printResult(result, flags.json === true);
  return result.status === 'succeeded' ? 0 : 1;
}
