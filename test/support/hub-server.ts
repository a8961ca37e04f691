/**
 * A real HTTP server on 127.0.0.1 laid out like the Hugging Face hub for one dataset: the Parquet
 * listing at /api/datasets/<repo>/parquet ({config: {split: [url]}}), each url redirecting to
 * /datasets/<repo>/resolve/refs%2Fconvert%2Fparquet/<config>/<split>/0000.parquet as the hub does.
 * Every request is recorded, and a file can be made to fail, so a test sees what was fetched.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubServer {
  url: string;
  requests: { path: string; authorization: string | undefined }[];
  /** Paths (resolve/ form) answered 500 from now on. */
  failing: Set<string>;
  close(): Promise<void>;
}

/** files: split name -> Parquet bytes (config "default", one shard per split). */
export async function startHubServer(repo: string, files: Map<string, Uint8Array>): Promise<HubServer> {
  const requests: HubServer['requests'] = [];
  const failing = new Set<string>();
  const resolvePath = (split: string) => `/datasets/${repo}/resolve/refs%2Fconvert%2Fparquet/default/${split}/0000.parquet`;
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    requests.push({ path: url, authorization: req.headers.authorization });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (url === `/api/datasets/${repo}/parquet`) {
      const listing = { default: Object.fromEntries([...files.keys()].map((split) => [split, [`${base}/api/datasets/${repo}/parquet/default/${split}/0.parquet`]])) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(listing));
      return;
    }
    for (const [split, bytes] of files) {
      if (url === `/api/datasets/${repo}/parquet/default/${split}/0.parquet`) {
        res.writeHead(302, { location: resolvePath(split) }).end();
        return;
      }
      if (url === resolvePath(split)) {
        if (failing.has(url)) res.writeHead(500).end('server error');
        else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from(bytes));
        return;
      }
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Repository not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    failing,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
