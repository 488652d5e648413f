/**
 * The UI's modules import each other without a circle (a circle makes the order modules run
 * in depend on which one is imported first). Checked over every module under src/, from the
 * relative imports each one writes.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function modules(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return name === 'test' ? [] : modules(file);
    return /\.(ts|svelte)$/.test(name) && !/\.test\.ts$/.test(name) ? [file] : [];
  });
}

/** The module a relative import names: the file, with its extension or as a folder's index. */
function resolve(from: string, specifier: string): string | null {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}.svelte`, path.join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not this one.
    }
  }
  return null;
}

function graph(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of modules(src)) {
    const text = readFileSync(file, 'utf8');
    const imports = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/g)]
      .map((match) => resolve(file, match[1] ?? ''))
      .filter((target): target is string => target !== null);
    edges.set(file, imports);
  }
  return edges;
}

function cycle(edges: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'visiting') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of edges.keys()) {
    const found = visit(node);
    if (found) return found;
  }
  return null;
}

describe('imports', () => {
  it('form no circle', () => {
    const edges = graph();
    expect(edges.size).toBeGreaterThan(20);
    const found = cycle(edges);
    expect(found?.map((file) => path.relative(src, file)) ?? null).toBeNull();
  });

  it('a circle would be found', () => {
    const edges = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
    ]);
    expect(cycle(edges)).toEqual(['a', 'b', 'c', 'a']);
  });
});
