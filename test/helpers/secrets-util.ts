// Shared pieces of the secrets tests: a registry with every handler (secrets.*,
// restores.*), env variables set per test and restored after it, key files,
// fake OS keychains, the CLI with a stdin stream, and the leak scanner.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach } from 'vitest';
import type { CliIo } from '../../electron/cli/main.ts';
import { runCli } from '../../electron/cli/main.ts';
import type { KeyWrapper } from '../../electron/core/secrets/keyring.ts';
import type { CommandRegistry } from '../../electron/handlers/registry.ts';
import { seedDemo } from '../../electron/core/demo.ts';
import type { Environment, Project, SecretEntry } from '../../shared/domain.ts';
import { call } from './restore-util.ts';
import { fullRegistry } from './secrets-registry.ts';
import { readyDb, startTestRuntime } from './runtime.ts';
import type { World } from './world.ts';

export { fullRegistry, SECRET_COMMANDS } from './secrets-registry.ts';

const ENV_NAMES = ['STATEWARD_SCRYPT_N', 'STATEWARD_KEY_FILE'] as const;
type EnvName = (typeof ENV_NAMES)[number];

/**
 * Call at file level: before each test STATEWARD_KEY_FILE is unset and
 * STATEWARD_SCRYPT_N is 1024 (cheap passphrases; obeyed only because VITEST is set);
 * after it both are restored.
 */
export function useSecretsEnv(): { set(name: EnvName, value: string | undefined): void } {
  const saved = new Map<EnvName, string | undefined>(ENV_NAMES.map((n) => [n, process.env[n]]));
  const set = (name: EnvName, value: string | undefined) => {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  beforeEach(() => {
    set('STATEWARD_SCRYPT_N', '1024');
    set('STATEWARD_KEY_FILE', undefined);
  });
  afterEach(() => {
    for (const [n, v] of saved) set(n, v);
  });
  return { set };
}

/** 32 random bytes in a 0600 file (what `head -c 32 /dev/urandom > stateward.key` makes). */
export function makeKeyFile(dir: string, name = 'stateward.key'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, crypto.randomBytes(32), { mode: 0o600 });
  return file;
}

export interface SeededEnv {
  project: Project;
  env: Environment;
  /** "project/env" as the CLI names it. */
  label: string;
}

/** A project with one or more environments, through the registry. */
export async function seedEnvs(
  reg: CommandRegistry,
  projectName: string,
  envNames: string[],
): Promise<SeededEnv[]> {
  const project = await call<Project>(reg, 'projects.create', { name: projectName });
  const out: SeededEnv[] = [];
  for (const name of envNames) {
    const env = await call<Environment>(reg, 'environments.create', {
      projectId: project.id,
      name,
      kind: 'other',
    });
    out.push({ project, env, label: `${projectName}/${name}` });
  }
  return out;
}

/** A closed data dir (a new one in `world`) holding project "shop" with the named environments. */
export async function shopDataDir(world: World, envNames: string[]): Promise<string> {
  const dir = world.dir();
  const rt = await startTestRuntime(world, dir);
  readyDb(rt);
  await seedEnvs(fullRegistry(rt), 'shop', envNames);
  rt.close();
  return dir;
}

/** Two secret values with awkward bytes (a tab, a backslash, a non-ASCII URL). */
export const AWKWARD_SECRETS = { API_KEY: 'sk_live_0001\t\\x', DB_URL: 'postgres://u@db/shop?ü=1' };

/**
 * A closed data dir (a new one in `world`) with demo data (2 projects, `deployments`
 * deployments) and project "shop" whose prod holds API_KEY and staging DB_URL
 * (AWKWARD_SECRETS), under a new key file set as STATEWARD_KEY_FILE through `env`.
 */
export async function demoDirWithSecrets(
  world: World,
  env: ReturnType<typeof useSecretsEnv>,
  deployments: number,
): Promise<{ dir: string; file: string; secrets: SecretEntry[] }> {
  const dir = world.dir();
  env.set('STATEWARD_KEY_FILE', makeKeyFile(world.dir()));
  const rt = await startTestRuntime(world, dir);
  const reg = fullRegistry(rt);
  seedDemo(readyDb(rt), { projects: 2, deployments, actor: 'test', now: 1_700_000_000_000 });
  const [prod, staging] = await seedEnvs(reg, 'shop', ['prod', 'staging']);
  await call(reg, 'secrets.setup', {});
  const secrets = [
    await call<SecretEntry>(reg, 'secrets.set', {
      environmentId: prod!.env.id,
      name: 'API_KEY',
      value: AWKWARD_SECRETS.API_KEY,
    }),
    await call<SecretEntry>(reg, 'secrets.set', {
      environmentId: staging!.env.id,
      name: 'DB_URL',
      value: AWKWARD_SECRETS.DB_URL,
    }),
  ];
  rt.close();
  await rt.closed();
  return { dir, file: path.join(dir, 'stateward.db'), secrets };
}

/** An OS keychain stand-in: wraps by XOR with a pad only it knows, and counts calls. */
export class FakeKeychain implements KeyWrapper {
  readonly kind = 'os-keychain' as const;
  readonly calls = { status: 0, wrap: 0, unwrap: 0 };
  private readonly pad = crypto.randomBytes(32);
  private readonly state: { available: boolean; weak: boolean; backend: string };

  constructor(state: { available: boolean; weak: boolean; backend: string }) {
    this.state = state;
  }

  async status() {
    this.calls.status++;
    return { ...this.state };
  }

  async wrap(key: Uint8Array): Promise<Buffer> {
    this.calls.wrap++;
    const out = Buffer.alloc(key.length + 4);
    out.write('FKC1', 0, 'latin1');
    for (let i = 0; i < key.length; i++) out[i + 4] = key[i]! ^ this.pad[i % 32]!;
    return out;
  }

  async unwrap(wrapped: Buffer): Promise<{ key: Buffer; rewrap: boolean }> {
    this.calls.unwrap++;
    if (wrapped.subarray(0, 4).toString('latin1') !== 'FKC1') throw new Error('not mine');
    const key = Buffer.alloc(wrapped.length - 4);
    for (let i = 0; i < key.length; i++) key[i] = wrapped[i + 4]! ^ this.pad[i % 32]!;
    return { key, rewrap: false };
  }
}

export const weakKeychain = () =>
  new FakeKeychain({ available: true, weak: true, backend: 'basic_text' });
export const strongKeychain = () =>
  new FakeKeychain({ available: true, weak: false, backend: 'gnome_libsecret' });

export interface CliResult {
  argv: string[];
  code: number;
  stdout: string;
  stderr: string;
}

/** runCli with captured output and `stdin` as a piped (non-TTY) stream. */
export async function cliWithStdin(argv: string[], stdin = ''): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) };
  const code = await runCli(argv, io, Readable.from([Buffer.from(stdin, 'utf8')]));
  return { argv, code, stdout, stderr };
}

/** `stateward --data-dir <dir> <args…>` with `stdin` piped in. */
export const cliOnDir = (dir: string, args: string[], stdin = ''): Promise<CliResult> =>
  cliWithStdin(['--data-dir', dir, ...args], stdin);

export const RECOVERY_KEY_RE = /SWRK(?:-[A-HJ-NP-Z2-9]{4}){13}-[A-HJ-NP-Z2-9]{2}/;

// ---------------------------------------------------------------- the leak scanner

export interface Needle {
  /** What was searched for, e.g. "DB_URL base64url@1". */
  label: string;
  bytes: Buffer;
}

function base64Needles(label: string, raw: Buffer): Needle[] {
  const out: Needle[] = [];
  for (let k = 0; k < 3; k++) {
    const sub = raw.subarray(k);
    // Only whole 3-byte groups: their characters are the same wherever the value sits.
    const whole = sub.subarray(0, sub.length - (sub.length % 3));
    if (whole.length < 6) continue;
    const std = whole.toString('base64');
    const url = whole.toString('base64url');
    out.push({ label: `${label} base64@${k}`, bytes: Buffer.from(std, 'latin1') });
    if (url !== std)
      out.push({ label: `${label} base64url@${k}`, bytes: Buffer.from(url, 'latin1') });
  }
  return out;
}

/** Every encoding of a value that would betray it: utf8, JSON/\\u/URL-escaped, utf16le, hex, base64 at 3 alignments. */
export function needlesFor(label: string, value: string | Buffer): Needle[] {
  const raw = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const out: Needle[] = [{ label: `${label} raw`, bytes: raw }];
  if (typeof value === 'string') {
    const variants: [string, string][] = [
      ['json', JSON.stringify(value).slice(1, -1)],
      [
        'json-ascii',
        JSON.stringify(value)
          .slice(1, -1)
          .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
      ],
      ['url', encodeURIComponent(value)],
    ];
    for (const [kind, text] of variants)
      if (text !== value) out.push({ label: `${label} ${kind}`, bytes: Buffer.from(text, 'utf8') });
    out.push({ label: `${label} utf16le`, bytes: Buffer.from(value, 'utf16le') });
  }
  const hex = raw.toString('hex');
  out.push({ label: `${label} hex`, bytes: Buffer.from(hex, 'latin1') });
  out.push({ label: `${label} HEX`, bytes: Buffer.from(hex.toUpperCase(), 'latin1') });
  out.push(...base64Needles(label, raw));
  // A truncated copy (a log line cut at 80 characters, a preview) still betrays a long value.
  if (raw.length > 64) {
    for (const [where, at] of [
      ['head', 0],
      ['middle', Math.floor(raw.length / 2)],
    ] as const) {
      const window = raw.subarray(at, at + 24);
      out.push({ label: `${label} ${where}-24 raw`, bytes: window });
      out.push({
        label: `${label} ${where}-24 hex`,
        bytes: Buffer.from(window.toString('hex'), 'latin1'),
      });
    }
  }
  // One needle per distinct byte string (e.g. JSON and \\u escaping agree for ASCII values).
  const seen = new Set<string>();
  return out.filter((n) => {
    const k = n.bytes.toString('hex');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export interface Hit {
  where: string;
  needle: string;
  offset: number;
}

export function scanBuffer(where: string, buf: Buffer, needles: readonly Needle[]): Hit[] {
  const hits: Hit[] = [];
  for (const n of needles) {
    const offset = buf.indexOf(n.bytes);
    if (offset >= 0) hits.push({ where, needle: n.label, offset });
  }
  return hits;
}

/** Every regular file under each root (recursively, dot files and side files included). */
export function allFiles(roots: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n));
    else if (st.isFile()) out.push(p);
  };
  for (const r of roots) if (fs.existsSync(r)) walk(r);
  return out.sort();
}

export function scanFiles(roots: readonly string[], needles: readonly Needle[]): Hit[] {
  return allFiles(roots).flatMap((f) => scanBuffer(f, fs.readFileSync(f), needles));
}

export function scanTexts(
  texts: readonly { where: string; text: string }[],
  needles: readonly Needle[],
): Hit[] {
  return texts.flatMap((t) => scanBuffer(t.where, Buffer.from(t.text, 'utf8'), needles));
}
