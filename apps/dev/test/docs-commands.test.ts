/**
 * The shell blocks of the operator and mini program docs run as written.
 *
 * Checked, every block of DOCS: each `npm start|test|run X` names a script of the package.json it
 * runs in (the repository's root, a `cd` into it, or `-w <workspace>`); each `-w` names a
 * workspace; each `npm install @hutong/x` a publishable package; each `hutong …` / `npx hutong …`
 * (and `node …/cli.js …`, in the unit and pm2 blocks too) a command and flags of the CLI's usage
 * (packages/server/src/cli.ts); each `HUTONG_*` / `HOST` / `PORT` a variable of
 * packages/server/src/config/config-keys.ts or docs/configuration.md (the dev stack's own:
 * docs/demos.md), `X_FILE` when `X` is; each `node_modules/@hutong/<pkg>/<path>` a file the
 * package's `files` ships and the build made.
 *
 * Run: the mini program README's install block (on a copy of the folder, outside the repository),
 * and deployment.md's `hutong config schema`, `config secret` and `config check` of its production
 * file (its secret files replaced by test secrets). Not run: `npm install` from npm (the packages
 * are not published yet), `hutong start`, systemd, pm2, nginx, and the DevTools steps.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const zh = readdirSync(join(root, 'docs/zh')).map((name) => `docs/zh/${name}`);
const DOCS = ['docs/deployment.md', 'apps/demos/miniprogram/README.md', ...zh];
const MINIPROGRAM = 'apps/demos/miniprogram';

interface Block {
  file: string;
  line: number;
  lang: string;
  text: string;
}

/** Fenced code blocks, indentation (list items) removed. */
function blocksOf(file: string): Block[] {
  const out: Block[] = [];
  const lines = read(file).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)\s*$/.exec(lines[i] ?? '');
    if (!open) continue;
    const indent = open[1]?.length ?? 0;
    const body: string[] = [];
    const start = i + 1;
    while (++i < lines.length && !/^\s*```\s*$/.test(lines[i] ?? ''))
      body.push((lines[i] ?? '').slice(indent));
    out.push({ file, line: start, lang: open[2] ?? '', text: body.join('\n') });
  }
  return out;
}

/** The commands of a shell block: continuations joined, comments and redirections dropped, split on `&&`, `;`, `|`. */
function commandsOf(text: string): string[] {
  const joined = text.replace(/\\\n/g, ' ');
  const out: string[] = [];
  for (const line of joined.split('\n')) {
    let code = '';
    let quote = '';
    for (let i = 0; i < line.length; i++) {
      const c = line[i] as string;
      if (quote) quote = c === quote ? '' : quote;
      else if (c === "'" || c === '"') quote = c;
      else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) break;
      code += c;
    }
    for (const part of code.split(/&&|\|\||;|\|/)) {
      const command = part.replace(/\d?>&?\s*\S+/g, '').trim();
      if (command) out.push(command);
    }
  }
  return out;
}

const words = (command: string) => command.match(/'[^']*'|"[^"]*"|\S+/g) ?? [];

/** The CLI's commands and their flags, from its usage text. */
const usage = /const usage = `([^`]*)`/.exec(read('packages/server/src/cli.ts'))?.[1] ?? '';
const cliCommands = usage
  .split('\n')
  .map((line) => line.replace(/^\s*(usage:)?\s*hutong\s+/, ''))
  .map((line) => ({
    words: line.split(/\s+\[/)[0]?.trim() ?? '',
    flags: (line.match(/--[a-z-]+/g) ?? []) as string[],
  }));

function checkCli(args: string[], where: string): void {
  const flagAt = args.findIndex((a) => a.startsWith('-'));
  const named = (flagAt < 0 ? args : args.slice(0, flagAt)).join(' ');
  const command = cliCommands.find((c) => c.words === named);
  assert.ok(command, `${where}: \`hutong ${named}\` is not a command of the CLI's usage`);
  for (const flag of args.filter((a) => a.startsWith('--')))
    assert.ok(command.flags.includes(flag), `${where}: \`hutong ${named}\` takes no ${flag}`);
}

const variables = new Set(
  [
    ...read('packages/server/src/config/config-keys.ts').matchAll(/'((?:HUTONG_)?[A-Z][A-Z0-9_]+)'/g),
    ...read('docs/configuration.md').matchAll(/`((?:HUTONG_|HOST|PORT)[A-Z0-9_]*)`/g),
    ...read('docs/demos.md').matchAll(/`(HUTONG_[A-Z0-9_]+)/g),
  ].map((m) => m[1] as string),
);

/** Not Hutong's: the examples' business servers keep Hutong's address in `HUTONG_URL`. */
const notHutongs = new Set(['HUTONG_URL']);

function checkVariables(text: string, where: string): void {
  for (const [, name] of text.matchAll(/\b(HUTONG_[A-Z0-9_]*[A-Z0-9])\b/g)) {
    if (notHutongs.has(name as string)) continue;
    const base = name?.replace(/_FILE$/, '') as string;
    assert.ok(
      variables.has(name as string) || variables.has(base),
      `${where}: ${name} is no configuration variable`,
    );
  }
}

const pkg = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const rootPkg = pkg(root);
const workspaces = new Map<string, string>(
  (rootPkg.workspaces as string[]).map((dir) => [pkg(join(root, dir)).name as string, join(root, dir)]),
);

/** `node_modules/@hutong/<pkg>/<path>`: shipped by the package (`files`) and present after the build. */
function checkInstalledPath(path: string, where: string): void {
  const [, name, file] = /node_modules\/(@hutong\/[^/]+)\/(.+)$/.exec(path) ?? [];
  const dir = workspaces.get(name as string);
  assert.ok(dir, `${where}: ${name} is no package of this repository`);
  const files: string[] = pkg(dir).files ?? [];
  assert.ok(
    files.some((f) => (file as string).startsWith(`${f}/`)),
    `${where}: ${name} does not ship ${file}`,
  );
  assert.ok(
    existsSync(join(dir, file as string)),
    `${where}: the build makes no ${relative(root, join(dir, file as string))}`,
  );
}

function checkNpm(args: string[], cwd: string | undefined, where: string): void {
  const w = args.indexOf('-w');
  const workspace = w >= 0 ? workspaces.get(args[w + 1] as string) : undefined;
  if (w >= 0) assert.ok(workspace, `${where}: -w ${args[w + 1]}: no such workspace`);
  const [sub] = args;
  const script = sub === 'run' ? args[1] : sub === 'start' || sub === 'test' ? sub : undefined;
  if (script) {
    const dir = workspace ?? cwd;
    assert.ok(dir, `${where}: npm ${sub} outside the repository`);
    assert.ok(
      pkg(dir).scripts?.[script],
      `${where}: ${relative(root, dir) || 'the root'} has no script "${script}"`,
    );
  }
  if (sub === 'install' || sub === 'i') {
    for (const spec of args.slice(1).filter((a) => !a.startsWith('-'))) {
      if (spec.startsWith('@hutong/')) {
        const dir = workspaces.get(spec);
        assert.ok(dir && !pkg(dir).private, `${where}: ${spec} is no publishable package`);
      } else if (spec.endsWith('.tgz')) {
        const client = pkg(workspaces.get('@hutong/client') as string);
        assert.equal(
          spec.replace(/^.*\//, ''),
          `hutong-client-${client.version}.tgz`,
          `${where}: npm pack's file name`,
        );
      }
    }
  }
}

/** Checks every command of a shell block; `cwd` is where the block starts (undefined: outside the repository). */
function checkShell(block: Block): void {
  let cwd: string | undefined = block.file.startsWith('docs/deployment') ? undefined : root;
  for (const command of commandsOf(block.text)) {
    const where = `${block.file}:${block.line} \`${command}\``;
    checkVariables(command, where);
    const args = words(command);
    while (/^[A-Z_][A-Z0-9_]*=/.test(args[0] ?? '')) {
      const name = (args.shift() as string).split('=')[0] as string;
      if (!/^(HUTONG_|HOST$|PORT$)/.test(name)) continue; // a shell variable (`CODE=$(…)`)
      assert.ok(
        variables.has(name) || variables.has(name.replace(/_FILE$/, '')),
        `${where}: ${name} is no configuration variable`,
      );
    }
    const [program, ...rest] = args;
    if (program === 'cd') {
      const target = rest[0] as string;
      const next = isAbsolute(target) ? target : resolve(cwd ?? '/', target);
      cwd = next.startsWith(root) ? next : undefined;
      if (cwd) assert.ok(existsSync(cwd), `${where}: no such folder`);
    } else if (program === 'npm') checkNpm(rest, cwd, where);
    else if (program === 'npx' && rest[0] === 'hutong') checkCli(rest.slice(1), where);
    else if (program === 'hutong') checkCli(rest, where);
    else if (program === 'node' && /cli\.js$/.test(rest[0] ?? '')) checkCli(rest.slice(1), where);
  }
}

describe('docs: commands', () => {
  for (const file of DOCS) {
    test(`${file}: its shell blocks name real scripts, commands and variables`, () => {
      const shell = blocksOf(file).filter((b) => ['sh', 'bash', 'shell', 'console'].includes(b.lang));
      if (file !== 'docs/zh/migration-from-wafer.md') assert.ok(shell.length > 0, `${file} has shell blocks`);
      for (const block of shell) checkShell(block);
    });

    test(`${file}: every node_modules/@hutong path, HUTONG_ variable and CLI line of its other blocks and prose`, () => {
      const text = read(file);
      for (const [path] of text.matchAll(/node_modules\/@hutong\/[\w-]+\/[\w./-]+\.(?:js|cjs|mjs|json)/g))
        checkInstalledPath(path, file);
      checkVariables(text.replace(/HUTONG_TEST_[A-Z_]+|HUTONG_\*/g, ''), file);
      // systemd's ExecStart (`cli.js start …`) and pm2's `args: 'start …'`.
      for (const [, unit, pm2] of text.matchAll(/cli\.js ((?:start|config)[^\n`]*)|args: '([^']*)'/g))
        checkCli(words((unit ?? pm2) as string), `${file} (cli.js ${unit ?? pm2})`);
      for (const [, args] of text.matchAll(/`(?:npx )?hutong ((?:start|config)[^`…>]*)/g))
        checkCli(words(args as string), `${file} (\`hutong ${args}\`)`);
      for (const [, script] of text.matchAll(/`npm run ([\w:-]+)/g))
        assert.ok(rootPkg.scripts[script as string], `${file}: the root has no script "${script}"`);
    });
  }
});

describe('docs: commands that run', () => {
  const temp = mkdtempSync(join(tmpdir(), 'hutong-docs-'));
  after(() => rmSync(temp, { recursive: true, force: true }));
  const quiet = {
    ...process.env,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  const sh = (command: string, cwd: string) => {
    const run = spawnSync('sh', ['-c', command], { cwd, env: quiet, encoding: 'utf8' });
    assert.equal(run.status, 0, `${command} (in ${cwd}) failed:\n${run.stdout}\n${run.stderr}`);
    return run.stdout;
  };

  test('the mini program README installs @hutong/client from this repository', () => {
    const copy = join(temp, 'miniprogram');
    cpSync(join(root, MINIPROGRAM), copy, {
      recursive: true,
      filter: (src) => !/node_modules|miniprogram_npm|\.tgz$/.test(src),
    });
    const before = readFileSync(join(copy, 'package.json'), 'utf8');
    const block = blocksOf(`${MINIPROGRAM}/README.md`).find((b) => b.text.includes('npm pack'));
    assert.ok(block, 'the install block');
    let cwd = root;
    for (const command of commandsOf(block.text)) {
      if (command === 'npm install') continue; // the workspace's own install: done before the tests
      if (command.startsWith('cd ')) {
        cwd = command.slice(3).trim() === MINIPROGRAM ? copy : resolve(cwd, command.slice(3).trim());
        continue;
      }
      sh(command.replaceAll(MINIPROGRAM, copy), cwd);
    }
    const installed = join(copy, 'node_modules/@hutong/client');
    const client = pkg(installed);
    assert.equal(client.miniprogram, 'miniprogram_dist', 'what 构建 npm copies');
    const sdk = readFileSync(join(installed, 'miniprogram_dist/index.js'), 'utf8');
    assert.deepEqual(
      [...sdk.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]),
      [],
      'miniprogram_dist requires nothing',
    );
    assert.equal(readFileSync(join(copy, 'package.json'), 'utf8'), before, '--no-save leaves package.json');
    assert.ok(!existsSync(join(copy, 'package-lock.json')), 'no lock file');
    const ignored = read(`${MINIPROGRAM}/.gitignore`);
    for (const entry of ['node_modules/', 'miniprogram_npm/', '*.tgz'])
      assert.ok(ignored.includes(entry), entry);
  });

  test('deployment.md: hutong config schema, config secret and config check of its production file', () => {
    const hutong = (args: string) => sh(`npx hutong ${args}`, root);
    const schema = JSON.parse(hutong('config schema'));
    assert.ok(schema.properties?.appid && schema.properties?.tunnel, 'the schema names the file keys');
    const secret = hutong('config secret').trim();
    assert.ok(secret.length >= 32, 'a key hutong start accepts');

    const file = blocksOf('docs/deployment.md').find(
      (b) => b.lang === 'json' && b.text.includes('"$schema"'),
    );
    assert.ok(file, "deployment.md's production file");
    const config = JSON.parse(file.text);
    const secrets: Record<string, string> = {
      'hutong-app-secret': hutong('config secret').trim().slice(0, 32),
      'hutong-tunnel-key': hutong('config secret').trim(),
      'hutong-db-url': 'postgres://hutong@10.0.0.4/hutong',
      'hutong-admin-token': hutong('config secret').trim(),
    };
    const text = JSON.stringify(config).replace(/\/run\/secrets\/([\w-]+)/g, (_, name: string) => {
      assert.ok(secrets[name], `a test secret for ${name}`);
      writeFileSync(join(temp, name), secrets[name] as string);
      return join(temp, name);
    });
    writeFileSync(join(temp, 'hutong.config.json'), text);
    writeFileSync(join(temp, 'hutong.config.schema.json'), JSON.stringify(schema));
    const run = spawnSync(
      'npx',
      ['hutong', 'config', 'check', '--config', join(temp, 'hutong.config.json')],
      {
        cwd: root,
        env: Object.fromEntries(Object.entries(quiet).filter(([k]) => !k.startsWith('HUTONG_'))),
        encoding: 'utf8',
      },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /configuration ok/);
    const printed = JSON.parse(run.stdout);
    assert.equal(printed.apps?.[0]?.appid, config.appid);
    assert.ok(!run.stdout.includes(secrets['hutong-tunnel-key'] as string), 'secrets hidden');
  });
});
