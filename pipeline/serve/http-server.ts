/**
 * The HTTP face of `kforge serve` (node:http: three routes need no framework):
 *   POST /verify            one candidate -> 200 with the verdict (the record's fields) when done;
 *   POST /verify?wait=false -> 202 {id}, then GET /verify/<id> -> 202 while running, 200 when done;
 *   GET  /health            counts (in flight, verdicts, cached answers).
 * 400 says what is wrong with a body, 401 a missing or wrong bearer token, 404 an unknown problem or
 * id, 413 a body over the limit, 503 a full queue. A client that goes away mid-wait changes nothing:
 * the verdict is made and recorded all the same.
 */
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeIssues } from '../imports/candidate.ts';
import { verifyRequestSchema } from './request.ts';
import { RequestRefused, type Job, type VerdictService } from './verdict-service.ts';

export interface HttpOptions {
  host: string;
  port: number;
  token: string | null;
  maxBodyBytes: number;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
}

function authorised(req: http.IncomingMessage, token: string | null): boolean {
  if (token === null) return true;
  const given = Buffer.from(req.headers.authorization ?? '');
  const wanted = Buffer.from(`Bearer ${token}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** The body, or null once it passed the limit (the rest is read and dropped, so the 413 reaches the client). */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      // Far past the limit: stop reading, the client is not listening.
      else if (size > 16 * limit) req.destroy();
    });
    req.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function verdict(job: Job): { status: number; body: unknown } {
  if (job.status === 'done') return { status: 200, body: { id: job.id, status: 'done', cached: job.cached, ...job.record } };
  if (job.status === 'error') return { status: 500, body: { id: job.id, status: 'error', error: job.error } };
  return { status: 202, body: { id: job.id, status: job.status, poll: `/verify/${job.id}` } };
}

export function createHttpServer(service: VerdictService, options: HttpOptions): http.Server {
  return http.createServer((req, res) => {
    void handle(req, res).catch((error: Error) => send(res, 500, { error: error.message }));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!authorised(req, options.token)) {
      req.resume();
      send(res, 401, { error: 'missing or wrong bearer token: send Authorization: Bearer <token> (the token kforge serve was started with)' });
      return;
    }
    if (url.pathname === '/health' && req.method === 'GET') {
      send(res, 200, { status: 'ok', in_flight: service.inFlight, verdicts: service.verdicts, cached_answers: service.cachedAnswers });
      return;
    }
    const poll = /^\/verify\/([0-9a-f]{64})$/.exec(url.pathname);
    if (poll && req.method === 'GET') {
      const job = service.get(poll[1]!);
      if (!job) send(res, 404, { error: `no job ${poll[1]} (unknown, or finished long ago)` });
      else send(res, verdict(job).status, verdict(job).body);
      return;
    }
    if (url.pathname !== '/verify') {
      req.resume();
      send(res, 404, { error: `no route ${req.method} ${url.pathname}: POST /verify, GET /verify/<id>, GET /health` });
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      send(res, 405, { error: 'POST a candidate to /verify' });
      return;
    }
    const body = await readBody(req, options.maxBodyBytes);
    if (body === null) {
      send(res, 413, { error: `the request is over ${options.maxBodyBytes} bytes (kforge serve --max-body-bytes)` });
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (error) {
      send(res, 400, { error: `the body is not JSON: ${(error as Error).message}` });
      return;
    }
    const parsed = verifyRequestSchema.safeParse(json);
    if (!parsed.success) {
      send(res, 400, { error: `not a candidate: ${describeIssues(parsed.error)}`, expected: '{problem: "L1/19" | {level, id} | {name} | {key}, kernel: "<ModelNew module>", model?, sample?, metadata?, backend?, tolerance?, options?: {trials?, timeout_s?}}' });
      return;
    }
    let job: Job;
    try {
      job = service.submit(parsed.data);
    } catch (error) {
      if (error instanceof RequestRefused) {
        send(res, error.status, { error: error.message });
        return;
      }
      throw error;
    }
    if (url.searchParams.get('wait') === 'false') {
      send(res, job.status === 'done' ? 200 : 202, verdict(job).body);
      return;
    }
    await job.done;
    const answer = verdict(job);
    send(res, answer.status, answer.body);
  }
}

export function listen(server: http.Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      resolve(`http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`);
    });
  });
}
