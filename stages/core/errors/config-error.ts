/** A run configuration (file or flags) that cannot be used; the message names the key and what was expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(issues.length ? `${message}\n${issues.map((i) => `  - ${i}`).join('\n')}` : message);
  }
}

/** A problem source that is missing, unreadable or malformed. */
export class ProblemSourceError extends Error {
  override readonly name = 'ProblemSourceError';
}

/** The LLM provider was asked for but no endpoint is configured. */
export class NoEndpointError extends Error {
  override readonly name = 'NoEndpointError';
  constructor() {
    super(
      [
        'No LLM endpoint is configured for provider "openai". Configure one in any of these ways:',
        '  - in the run configuration:   provider: { kind: openai, base_url: https://api.openai.com/v1, model: gpt-4o, api_key_env: OPENAI_API_KEY }',
        '  - on the command line:        kforge build --base-url http://127.0.0.1:8000/v1 --model my-model',
        '  - in the environment:         KFORGE_BASE_URL=... KFORGE_MODEL=... (the key in the variable named by api_key_env)',
        'Or build without an LLM:        kforge build --provider builtin',
      ].join('\n'),
    );
  }
}
