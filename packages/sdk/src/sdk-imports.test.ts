// The SDK stays a client: its modules import server packages for types only and nothing from
// Node but what `assets.download` loads lazily, so a browser or edge bundle carries none of it.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const sourceDir = path.dirname(fileURLToPath(import.meta.url));

/** Every module the file loads at run time: `import … from 'x'` that is not `import type`, and `import('x')`. */
function runtimeImports(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/^\s*import\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) {
    // `import { type A, type B } from 'x'` loads nothing either.
    const clause = /^\s*import\s+\{([^}]*)\}/.exec(match[0])?.[1];
    if (clause !== undefined && clause.split(',').every((name) => name.trim() === '' || name.trim().startsWith('type '))) continue;
    found.push(match[1] ?? '');
  }
  for (const match of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(match[1] ?? '');
  return found;
}

describe('the SDK bundle', () => {
  it('loads only its own modules at run time, plus node: modules inside download()', async () => {
    const files = (await readdir(sourceDir)).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && name !== 'test-support.ts');
    expect(files).toContain('client.ts');
    const outside: string[] = [];
    for (const file of files) {
      const source = await readFile(path.join(sourceDir, file), 'utf8');
      for (const specifier of runtimeImports(source)) {
        if (specifier.startsWith('./')) continue;
        outside.push(`${file}: ${specifier}`);
      }
    }
    expect(outside.sort()).toEqual(['assets.ts: node:fs', 'assets.ts: node:fs/promises', 'assets.ts: node:stream', 'assets.ts: node:stream/promises']);
  });

  it('finds a runtime import where there is one', () => {
    expect(runtimeImports("import { isTerminal } from '@mediagate/core';\nimport type { A } from 'b';\nimport { type C } from 'd';\nconst x = await import('e');")).toEqual([
      '@mediagate/core',
      'e',
    ]);
  });
});
