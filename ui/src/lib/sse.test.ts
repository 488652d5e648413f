import { describe, expect, it } from 'vitest';
import { SseParser } from './sse';

/** Feeds `chunks` one after another and collects every event. */
function parse(...chunks: string[]) {
  const parser = new SseParser();
  const events = chunks.flatMap((chunk) => parser.push(chunk));
  return [...events, ...parser.end()];
}

describe('SseParser', () => {
  it('reads named events with JSON data', () => {
    expect(parse('event: delta\ndata: {"text":"Hi"}\n\nevent: done\ndata: {}\n\n')).toEqual([
      { event: 'delta', data: '{"text":"Hi"}', id: '' },
      { event: 'done', data: '{}', id: '' },
    ]);
  });

  it('puts an event together when chunk boundaries split it anywhere', () => {
    const stream = 'event: delta\ndata: {"text":"Hello"}\n\nevent: delta\ndata: {"text":" world"}\n\n';
    const whole = parse(stream);
    for (let cut = 1; cut < stream.length; cut++) {
      expect(parse(stream.slice(0, cut), stream.slice(cut)), `cut at ${cut}`).toEqual(whole);
    }
    expect(parse(...stream.split(''))).toEqual(whole);
  });

  it('handles CRLF and CR line ends, even a CRLF split between chunks', () => {
    expect(parse('event: a\r\ndata: 1\r\n\r\n', 'event: b\rdata: 2\r\r')).toEqual([
      { event: 'a', data: '1', id: '' },
      { event: 'b', data: '2', id: '' },
    ]);
    expect(parse('data: x\r', '\n\r', '\n')).toEqual([{ event: 'message', data: 'x', id: '' }]);
  });

  it('joins data lines, ignores comments and unknown fields, strips one space only', () => {
    expect(parse(': keep-alive\n\nretry: 10\nfoo: bar\ndata:  two spaces\ndata:no space\n\n')).toEqual([
      { event: 'message', data: ' two spaces\nno space', id: '' },
    ]);
  });

  it('does not dispatch events without data, nor an event cut off at the end', () => {
    expect(parse('event: ping\n\n', 'event: delta\ndata: {"text":"cut')).toEqual([]);
  });

  it('keeps the last id', () => {
    expect(parse('id: 7\ndata: a\n\ndata: b\n\n')).toEqual([
      { event: 'message', data: 'a', id: '7' },
      { event: 'message', data: 'b', id: '7' },
    ]);
  });
});
