export { generateCommand } from './commands/generate.ts';
