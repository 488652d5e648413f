// Stand-ins for Docent's remote services, speaking their real protocols over loopback HTTP
// (like crates/server/tests/api/remote.rs):
//
// - an OpenAI-compatible LLM: `POST /v1/chat/completions` with `stream: true` answers with
//   `text/event-stream` chunks `data: {"choices":[{"delta":{"content":"…"}}]}`, a short pause
//   apart, then `data: [DONE]`;
// - a retrieval API (docs/retrieval-api.md): `POST /search` `{query, top_k, collection}` ->
//   `{"chunks":[{id, text, source, title, url, page, score}]}`.
//
// The LLM answers every question with ANSWER, which cites sources [1] and [2] (the first two
// chunks of the fake retrieval API), unless the prompt's first source is something else: a
// passage of the workspace's own documents. Then it answers with that passage's first
// sentence, citing [1] alone (`answerFor`).
//
// Both listen on free ports and write them to the JSON file named on the command line:
//   node fakes.mjs PORTS_FILE
// `GET /__requests` on either returns the requests it received, for the tests to inspect.

import { writeFileSync, renameSync } from 'node:fs';
import http from 'node:http';

/** The answer, in the pieces it is streamed in. It cites the first two chunks. */
export const ANSWER_PIECES = [
  'Remote work ',
  'is allowed ',
  'two days a week [1]. ',
  'Equipment ',
  'is reimbursed [2].',
];
export const ANSWER = ANSWER_PIECES.join('');

/** Pause between pieces. The one before the second sentence is longer, so a test can see a partial answer. */
const PAUSE_MS = 150;
const LONG_PAUSE_MS = 1200;

export const CHUNKS = [
  {
    id: 'handbook.pdf#3-1',
    text: 'Employees may work remotely up to two days per week, in agreement with their manager.',
    source: 'handbook.pdf',
    title: 'Employee handbook 2026',
    url: 'https://intranet.example.test/docs/handbook.pdf',
    page: 3,
    score: 0.91,
  },
  {
    id: 'equipment-policy.pdf#1-4',
    text: 'Home-office equipment is reimbursed up to 500 EUR per year on presentation of receipts.',
    source: 'equipment-policy.pdf',
    title: 'Equipment policy',
    url: 'https://intranet.example.test/docs/equipment-policy.pdf',
    page: null,
    score: 0.84,
  },
  {
    id: 'travel.pdf#2-2',
    text: 'Train travel is preferred for trips under 600 km.',
    source: 'travel.pdf',
    title: 'Travel policy',
    url: null,
    page: 2,
    score: 0.42,
  },
];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The first source of a prompt, as Docent numbers them in its system message
 * (`\n[1] Title, page 2\nThe passage's text\n`), or null when the prompt has none.
 */
export function firstSource(messages) {
  const system = (messages ?? []).find((message) => message.role === 'system')?.content ?? '';
  const match = /\n\[1\] ([^\n]*)\n([\s\S]*?)\n(?:\n\[2\] |$)/.exec(system);
  return match ? { heading: match[1], text: match[2].trim() } : null;
}

/**
 * The pieces of the answer to a prompt: ANSWER_PIECES when its first source is the fake
 * retrieval API's first chunk (or there is none); otherwise a sentence of that first source
 * (a workspace's own document), cited as [1].
 */
export function answerFor(messages) {
  const source = firstSource(messages);
  if (!source || source.heading.startsWith(CHUNKS[0].title)) return ANSWER_PIECES;
  // The sentence that holds the question's rarest-looking word, else the passage's first.
  const question = [...(messages ?? [])].reverse().find((message) => message.role === 'user')?.content ?? '';
  const sentences = source.text.split(/(?<=[.!?])\s+/).filter((sentence) => sentence.length > 0);
  const words = question.toLowerCase().match(/[a-z]{5,}/g) ?? [];
  const sentence =
    sentences.find((candidate) => words.some((word) => candidate.toLowerCase().includes(word))) ?? sentences[0] ?? source.text;
  const cited = sentence.replace(/[.!?]*$/, '');
  return ['According to your documents, ', `${cited} `, '[1].'];
}

function readJson(request) {
  return new Promise((resolve, reject) => {
    const parts = [];
    request.on('data', (part) => parts.push(part));
    request.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString('utf8') || 'null'));
      } catch (error) {
        reject(error);
      }
    });
    request.on('error', reject);
  });
}

function sendJson(response, status, body) {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function recorder() {
  const requests = [];
  return {
    requests,
    record(request, body) {
      requests.push({ method: request.method, url: request.url, authorization: request.headers.authorization ?? null, body });
    },
  };
}

function llmServer() {
  const log = recorder();
  return http.createServer(async (request, response) => {
    try {
      if (request.method === 'GET' && request.url === '/__requests') return sendJson(response, 200, log.requests);
      if (request.method === 'GET' && request.url === '/v1/models') {
        return sendJson(response, 200, { object: 'list', data: [{ id: 'test/model', object: 'model' }] });
      }
      if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
        return sendJson(response, 404, { error: { message: `no route ${request.method} ${request.url}` } });
      }
      const body = await readJson(request);
      log.record(request, body);
      if (!body || body.stream !== true) {
        // Not what Docent sends, but answer like the real API would.
        return sendJson(response, 200, {
          id: 'chatcmpl-test',
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: answerFor(body.messages).join('') }, finish_reason: 'stop' }],
        });
      }
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      let closed = false;
      response.on('close', () => {
        closed = true;
      });
      const pieces = answerFor(body.messages);
      for (const [i, piece] of pieces.entries()) {
        await sleep(i === 3 ? LONG_PAUSE_MS : PAUSE_MS);
        if (closed) return;
        const chunk = {
          id: 'chatcmpl-test',
          object: 'chat.completion.chunk',
          model: body.model,
          choices: [{ index: 0, delta: i === 0 ? { role: 'assistant', content: piece } : { content: piece }, finish_reason: null }],
        };
        response.write(`data: ${JSON.stringify(chunk)}\n\n`);
      }
      await sleep(PAUSE_MS);
      if (closed) return;
      response.write(
        `data: ${JSON.stringify({ id: 'chatcmpl-test', object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
      );
      response.end('data: [DONE]\n\n');
    } catch (error) {
      if (!response.headersSent) sendJson(response, 400, { error: { message: String(error) } });
      else response.end();
    }
  });
}

function retrievalServer() {
  const log = recorder();
  return http.createServer(async (request, response) => {
    try {
      if (request.method === 'GET' && request.url === '/__requests') return sendJson(response, 200, log.requests);
      if (request.method !== 'POST' || request.url !== '/search') {
        return sendJson(response, 404, { error: `no route ${request.method} ${request.url}` });
      }
      const body = await readJson(request);
      log.record(request, body);
      if (!body || typeof body.query !== 'string') return sendJson(response, 400, { error: 'query is required' });
      const topK = Number.isInteger(body.top_k) ? body.top_k : 5;
      return sendJson(response, 200, { chunks: CHUNKS.slice(0, topK) });
    } catch (error) {
      return sendJson(response, 400, { error: String(error) });
    }
  });
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const portsFile = process.argv[2];
  if (!portsFile) {
    console.error('usage: node fakes.mjs PORTS_FILE');
    process.exit(2);
  }
  const llm = llmServer();
  const retrieval = retrievalServer();
  const ports = { llm: await listen(llm), retrieval: await listen(retrieval) };
  writeFileSync(`${portsFile}.tmp`, JSON.stringify(ports));
  renameSync(`${portsFile}.tmp`, portsFile);
  console.log(`fake LLM on 127.0.0.1:${ports.llm}, fake retrieval on 127.0.0.1:${ports.retrieval}`);
  const stop = () => {
    llm.closeAllConnections?.();
    retrieval.closeAllConnections?.();
    llm.close();
    retrieval.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
