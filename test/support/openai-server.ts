/**
 * A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions protocol (non-streaming),
 * answering from a script. Every test that needs an LLM endpoint uses it: the script decides the
 * reply or the fault for each request, and every request is recorded so a test can assert what the
 * server saw (for instance that no request was ever answered successfully twice).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHash } from 'node:crypto';
import { seededRandom } from './seeded-random.ts';

export type FaultKind = 'status' | 'reset' | 'hang' | 'empty' | 'truncated' | 'oversized' | 'garbage';

export interface ScriptedUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

export type ScriptedReply =
  | { content: string; finishReason?: string; delayMs?: number; usage?: ScriptedUsage }
  | { fault: 'status'; status: number; retryAfter?: number | string; retryAfterMs?: number; body?: unknown; delayMs?: number }
  | { fault: 'reset' | 'hang' | 'empty' | 'truncated' | 'oversized' | 'garbage'; delayMs?: number };

/** The JSON body of a chat-completions request, as far as the server looks at it. */
export interface ChatCompletionBody {
  model?: string;
  messages?: { role: string; content: string }[];
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  seed?: number;
  [key: string]: unknown;
}

export interface RespondInput {
  body: ChatCompletionBody;
  /** 0-based arrival order of this request among all requests this server received. */
  index: number;
}
export type Responder = (input: RespondInput) => ScriptedReply | Promise<ScriptedReply>;

/** What became of a request: 'success' is a complete 200 reply that reached an open socket. */
export type RequestOutcome = 'success' | 'throttled' | FaultKind | 'pending' | 'client_gone';

export interface RecordedRequest {
  index: number;
  body: ChatCompletionBody;
  /** Stable hash of the body, to compare requests with each other. */
  bodyKey: string;
  headers: http.IncomingHttpHeaders;
  receivedAt: number;
  answeredAt: number | null;
  outcome: RequestOutcome;
  /** For 'status' faults and throttling: the status sent. */
  status: number | null;
  success: boolean;
}

export interface ThrottleOptions {
  /** Requests allowed per window (sliding). */
  limit: number;
  /** Window length; default 60 000 ms (so `limit` is requests per minute). */
  windowMs?: number;
}

export interface OpenAiServerOptions {
  respond?: Responder;
  /** 429 with retry-after above this rate; refused requests do not use up the window. */
  throttle?: ThrottleOptions | { rpm: number };
  /** Added before every answer (faults included); a function gets the request index. */
  latencyMs?: number | ((index: number) => number);
  /** Size of an 'oversized' reply in characters; default 2 000 000. */
  oversizedChars?: number;
  /** Model name echoed in replies; default the request's model. */
  model?: string;
}

export interface OpenAiServer {
  /** Base URL including /v1. */
  url: string;
  requests: RecordedRequest[];
  /** Number of successful answers per body key (a resume test asserts every value is 1). */
  successCounts(): Map<string, number>;
  close(): Promise<void>;
}

/** Deterministic default reply: echoes the last user message, usage from character counts. */
export const echoResponder: Responder = ({ body }) => {
  const last = body.messages?.at(-1)?.content ?? '';
  return { content: `echo: ${last}` };
};

function approxTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export function bodyKeyOf(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
}

export async function startOpenAiServer(options: OpenAiServerOptions = {}): Promise<OpenAiServer> {
  const respond = options.respond ?? echoResponder;
  const throttle = normaliseThrottle(options.throttle);
  const requests: RecordedRequest[] = [];
  const accepted: number[] = []; // arrival times of requests let through the throttle
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let counter = 0;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0) return resolve();
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const now = Date.now();
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}`, type: 'not_found' } }));
      return;
    }
    let body: ChatCompletionBody;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatCompletionBody;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'body is not JSON', type: 'invalid_request_error' } }));
      return;
    }
    const index = counter++;
    const record: RecordedRequest = {
      index,
      body,
      bodyKey: bodyKeyOf(body),
      headers: req.headers,
      receivedAt: now,
      answeredAt: null,
      outcome: 'pending',
      status: null,
      success: false,
    };
    requests.push(record);

    const send = (status: number, headers: Record<string, string>, payload: string, outcome: RequestOutcome) => {
      record.answeredAt = Date.now();
      record.status = status;
      if (res.destroyed || req.socket.destroyed) {
        record.outcome = 'client_gone';
        return;
      }
      record.outcome = outcome;
      record.success = outcome === 'success';
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(payload);
    };

    if (throttle) {
      while (accepted.length && accepted[0]! <= now - throttle.windowMs) accepted.shift();
      if (accepted.length >= throttle.limit) {
        const waitMs = accepted[0]! + throttle.windowMs - now;
        send(
          429,
          { 'retry-after': String(Math.ceil(waitMs / 1000)), 'retry-after-ms': String(waitMs) },
          JSON.stringify({ error: { message: 'Rate limit reached', type: 'rate_limit_error', code: 'rate_limit_exceeded' } }),
          'throttled',
        );
        return;
      }
      accepted.push(now);
    }

    const reply = await respond({ body, index });
    const latency = typeof options.latencyMs === 'function' ? options.latencyMs(index) : (options.latencyMs ?? 0);
    await sleep(latency + (reply.delayMs ?? 0));
    const model = options.model ?? body.model ?? 'test-model';
    const prompt = (body.messages ?? []).map((m) => m.content).join('\n');
    const completion = (content: string, finishReason: string, usage?: ScriptedUsage) =>
      JSON.stringify({
        id: `chatcmpl-${index}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason, logprobs: null }],
        usage: {
          prompt_tokens: usage?.prompt_tokens ?? approxTokens(prompt),
          completion_tokens: usage?.completion_tokens ?? approxTokens(content),
          total_tokens: (usage?.prompt_tokens ?? approxTokens(prompt)) + (usage?.completion_tokens ?? approxTokens(content)),
        },
      });

    if ('content' in reply) {
      send(200, {}, completion(reply.content, reply.finishReason ?? 'stop', reply.usage), reply.finishReason && reply.finishReason !== 'stop' ? 'truncated' : 'success');
      return;
    }
    switch (reply.fault) {
      case 'status': {
        const headers: Record<string, string> = {};
        if (reply.retryAfter !== undefined) headers['retry-after'] = String(reply.retryAfter);
        if (reply.retryAfterMs !== undefined) headers['retry-after-ms'] = String(reply.retryAfterMs);
        const payload = reply.body ?? { error: { message: `scripted status ${reply.status}`, type: 'scripted' } };
        send(reply.status, headers, typeof payload === 'string' ? payload : JSON.stringify(payload), 'status');
        return;
      }
      case 'reset':
        record.answeredAt = Date.now();
        record.outcome = 'reset';
        req.socket.destroy();
        return;
      case 'hang':
        record.outcome = 'hang';
        return; // never answered; close() destroys the socket
      case 'empty':
        send(200, {}, completion('', 'stop'), 'empty');
        return;
      case 'truncated':
        send(200, {}, completion('partial answer, cut o', 'length'), 'truncated');
        return;
      case 'oversized':
        send(200, {}, completion('x'.repeat(options.oversizedChars ?? 2_000_000), 'stop'), 'oversized');
        return;
      case 'garbage':
        send(200, {}, '<html>502 upstream garbage, not JSON', 'garbage');
        return;
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    successCounts() {
      const counts = new Map<string, number>();
      for (const r of requests) if (r.success) counts.set(r.bodyKey, (counts.get(r.bodyKey) ?? 0) + 1);
      return counts;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function normaliseThrottle(t: OpenAiServerOptions['throttle']): Required<ThrottleOptions> | null {
  if (!t) return null;
  if ('rpm' in t) return { limit: t.rpm, windowMs: 60_000 };
  return { limit: t.limit, windowMs: t.windowMs ?? 60_000 };
}

/** The faults a fault injector picks from by default (each with equal weight). */
export const DEFAULT_FAULTS: ScriptedReply[] = [
  { fault: 'status', status: 500 },
  { fault: 'status', status: 503 },
  { fault: 'status', status: 429, retryAfter: 0 },
  { fault: 'reset' },
  { fault: 'hang' },
  { fault: 'empty' },
  { fault: 'truncated' },
  { fault: 'oversized' },
  { fault: 'garbage' },
];


export interface FaultInjectorOptions {
  /** Share of requests that fail, 0..1. */
  rate: number;
  seed: number;
  faults?: ScriptedReply[];
  /** 'random' (default) picks a fault at random; 'cycle' takes them in turn, so every kind shows up. */
  order?: 'random' | 'cycle';
  /** Answers the requests that do not fail; default echoResponder. */
  respond?: Responder;
}

/** A responder that fails `rate` of the requests (decided by arrival order and seed) with one of `faults`. */
export function faultInjector(options: FaultInjectorOptions): Responder {
  const random = seededRandom(options.seed);
  const faults = options.faults ?? DEFAULT_FAULTS;
  const inner = options.respond ?? echoResponder;
  let next = 0;
  return (input) => {
    const roll = random();
    const pick = random();
    if (roll < options.rate) {
      return options.order === 'cycle' ? faults[next++ % faults.length]! : faults[Math.floor(pick * faults.length)]!;
    }
    return inner(input);
  };
}
