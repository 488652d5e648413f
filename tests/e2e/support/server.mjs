// A docent-server a spec starts itself, beside the one run.sh started: the same binary, the
// same data dir (SQLite in WAL mode lets two processes share it) and the same settings
// (E2E_SERVER_BIN, E2E_DATA_DIR, E2E_SERVER_ENV), some of them changed (or, given as null,
// left out). Its log goes to
// `<artifacts>/<name>-server.log`.
//
// Specs get servers through the `launchServer` fixture of the `test` exported here: every
// server it started is stopped when the test ends, whether it passed, failed or timed out.

import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test as base } from '@playwright/test';
import { env } from './helpers.mjs';

/** Loopback ports that nothing listens on: each was bound, then closed. */
export async function closedPorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const server = net.createServer();
      servers.push(server);
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((server) => server.address().port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(() => resolve()))));
  }
}

async function freePort() {
  const [port] = await closedPorts(1);
  return port;
}

/** run.sh's settings for docent-server, as an object. */
function serverSettings() {
  const settings = {};
  for (const line of env.serverEnv.split('\n')) {
    if (line.trim() === '') continue;
    const at = line.indexOf('=');
    settings[line.slice(0, at)] = line.slice(at + 1);
  }
  return settings;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function healthy(url) {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** Servers still running, killed if the worker exits without stopping them. */
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function spawnServer(name, settings, port) {
  mkdirSync(env.artifacts, { recursive: true });
  const logPath = path.join(env.artifacts, `${name}-server.log`);
  const log = openSync(logPath, 'a');
  // Only run.sh's DOCENT_* settings and the changes: none of this process's leaks in.
  const childEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('DOCENT_')));
  // A setting given as null is left out (say, no language model at all).
  const chosen = Object.fromEntries(
    Object.entries({ ...serverSettings(), ...settings }).filter(([, value]) => value !== null),
  );
  const child = spawn(env.serverBin, ['--data-dir', env.dataDir, '--addr', `127.0.0.1:${port}`], {
    env: { ...childEnv, ...chosen },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  running.add(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  exited.then(() => running.delete(child));
  return { child, exited, logPath };
}

/**
 * Starts docent-server on a free loopback port, with run.sh's settings changed by `settings`
 * (`{DOCENT_…: value}`), and waits for its /health. Resolves with `{url, port, pid, logPath,
 * stop()}`; `stop` sends SIGTERM, then SIGKILL after 5 s, and can be called more than once.
 */
export async function startServer({ name, settings = {} }) {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const { child, exited, logPath } = spawnServer(name, settings, port);
    let gone = false;
    exited.then(() => {
      gone = true;
    });
    const stop = async () => {
      if (!gone) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    };

    const deadline = Date.now() + 20_000;
    while (!gone && Date.now() < deadline) {
      if (await healthy(url)) return { url, port, pid: child.pid, logPath, stop };
      await sleep(100);
    }
    await stop();
    const log = readFileSync(logPath, 'utf8');
    // The port was free a moment ago; if another process took it since, try another one.
    if (attempt < 2 && log.includes('cannot listen')) continue;
    const tail = log.split('\n').slice(-30).join('\n');
    throw new Error(`docent-server ${gone ? 'exited while starting' : 'did not start within 20 s'}; ${logPath}:\n${tail}`);
  }
}

export const test = base.extend({
  /** `launchServer(options)`: `startServer(options)`, stopped at the end of the test at the latest. */
  // eslint-disable-next-line no-empty-pattern
  launchServer: async ({}, use) => {
    const started = [];
    await use(async (options) => {
      const server = await startServer(options);
      started.push(server);
      return server;
    });
    await Promise.all(started.map((server) => server.stop()));
  },
});

export { expect } from '@playwright/test';
