// The guarded head hook (Express's only way to write its headers when the head goes out): the self-test passes on this
// Node (the conformance suite runs it on Node 20, 22 and 24), the hook runs once, before the head, however the head
// is written, and late writes after a timeout answer are discarded without throwing.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discardLateWrites, headHookProblem, onHead } from './node-head-hook.js';

describe('node head hook', () => {
  let server: http.Server;
  let base: string;
  const calls: Record<string, number> = {};
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const how = req.url!.slice(1);
      calls[how] = 0;
      onHead(res, {
        onHead(r) {
          calls[how]!++;
          expect(r.headersSent).toBe(false);
          res.setHeader('x-hooked', how);
          // what the listener sees of headers passed to writeHead itself
          res.setHeader('x-seen', String(res.getHeader('x-passed') ?? 'none'));
          if (res.hasHeader('x-drop')) res.removeHeader('x-drop');
        },
      });
      if (how === 'passed' || how === 'passed-array') res.setHeader('x-passed', 'before');
      if (how === 'end') res.end('x');
      else if (how === 'write') {
        res.write('a');
        res.end('b');
      } else if (how === 'object') res.writeHead(201, { 'content-type': 'text/plain' }).end('x');
      else if (how === 'array') res.writeHead(202, ['content-type', 'text/plain']).end('x');
      else if (how === 'passed') res.writeHead(203, 'Passed', { 'X-Passed': 'arg', 'x-drop': '1' }).end('x');
      else if (how === 'passed-array')
        res.writeHead(203, ['x-passed', 'a1', 'x-passed', 'a2', 'x-drop', '1', 'content-type', 'text/plain']).end('x');
      else if (how === 'flush') {
        res.flushHeaders();
        res.end('x');
      } else if (how === 'late') {
        res.end('first');
        discardLateWrites(res);
        // what a handler that answers after the timeout does: none of it may throw or reach the wire
        res.setHeader('x-late', '1');
        res.writeHead(200);
        res.write('late');
        res.end('late', () => {
          calls.lateCallback = 1;
        });
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('passes its self-test on this Node', () => {
    expect(headHookProblem()).toBeNull();
  });

  it.each(['end', 'write', 'object', 'array', 'flush'])('runs once, before a head written by %s', async (how) => {
    const r = await request(`${base}/${how}`);
    await r.body.text();
    expect(r.headers['x-hooked']).toBe(how);
    expect(calls[how]).toBe(1);
  });

  it('puts headers passed to writeHead on the response before the listener runs, winning over earlier ones', async () => {
    const r = await request(`${base}/passed`);
    await r.body.text();
    expect(r.statusCode).toBe(203);
    expect(r.headers['x-passed']).toBe('arg');
    expect(r.headers['x-seen']).toBe('arg');
    // the listener's removal holds for a header the route passed to writeHead
    expect(r.headers['x-drop']).toBeUndefined();
    const a = await request(`${base}/passed-array`);
    await a.body.text();
    expect(a.statusCode).toBe(203);
    // a flat array keeps its duplicates, as Node's writeHead does
    expect(a.headers['x-passed']).toEqual(['a1', 'a2']);
    expect(a.headers['x-seen']).toBe('a1,a2');
    expect(a.headers['x-drop']).toBeUndefined();
    expect(a.headers['content-type']).toBe('text/plain');
  });

  it('discards writes to an answered response, running their callbacks', async () => {
    const r = await request(`${base}/late`);
    expect(await r.body.text()).toBe('first');
    expect(r.headers['x-late']).toBeUndefined();
    await new Promise((res) => setTimeout(res, 20));
    expect(calls.lateCallback).toBe(1);
  });
});
