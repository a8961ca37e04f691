import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLlmClient } from '../../pipeline/llm/create-client.ts';
import type { ChatRequest, LlmClient, LlmClientOptions } from '../../pipeline/llm/types.ts';

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `kforge-${prefix}-`));
}

/** Options for a test client: quick retries, no cache, no limits unless overridden. */
export function testOptions(url: string, overrides: Partial<LlmClientOptions> = {}): LlmClientOptions {
  return {
    baseURL: url,
    apiKeyEnv: null,
    model: 'test-model',
    temperature: 0.7,
    maxTokens: 256,
    requestTimeoutMs: 5_000,
    maxRetries: 5,
    rateLimit: {},
    concurrency: { initial: 4, min: 1, max: 8 },
    cache: null,
    retryTiming: { baseDelayMs: 5, maxDelayMs: 50 },
    ...overrides,
  };
}

export function testClient(url: string, overrides: Partial<LlmClientOptions> = {}): LlmClient {
  return createLlmClient(testOptions(url, overrides));
}

export function ask(content: string, promptVersion = 'v1'): ChatRequest {
  return { messages: [{ role: 'system', content: 'You write kernels.' }, { role: 'user', content }], promptVersion, purpose: 'implement' };
}
