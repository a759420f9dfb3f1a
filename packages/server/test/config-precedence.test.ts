/**
 * One precedence rule for every setting: the environment (`HUTONG_X` or `HUTONG_X_FILE`) over the
 * config file (`x` or `xFile`). Within one source, both forms of a setting at once are an error.
 * Tested for every combination of the four forms, for each setting that has all four.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { HutongConfig } from '../src/config/config.js';
import { checkConfigWithFile } from '../src/config/config-file.js';
import { testApp } from './fixtures.js';

type Form = 'envPlain' | 'envFile' | 'filePlain' | 'fileFile';
const forms: Form[] = ['envPlain', 'envFile', 'filePlain', 'fileFile'];

/** Settings with a `…File` file key: the file key, the variable, and where the value lands. */
const settings: [fileKey: string, env: string, value: (config: HutongConfig) => unknown][] = [
  ['appSecret', 'HUTONG_APP_SECRET', (c) => c.apps[0]?.secret],
  ['adminToken', 'HUTONG_ADMIN_TOKEN', (c) => c.adminToken],
  ['tunnel.signatureKey', 'HUTONG_TUNNEL_SIGNATURE_KEY', (c) => c.tunnelSignatureKey],
  ['store.url', 'HUTONG_STORE_URL', (c) => (c.store.kind === 'sqlite' ? c.store.file : undefined)],
];

/** The value each form carries: distinct, and valid for every setting above (a token ≥ 16 chars). */
const formValue = (form: Form) => `/tmp/precedence-${form}-value`;

/** What the rule says a combination gives: a form's value, or an error. */
function expected(set: Set<Form>): Form | 'error' | 'unset' {
  if (set.has('envPlain') && set.has('envFile')) return 'error';
  if (set.has('envPlain')) return 'envPlain';
  if (set.has('envFile')) return 'envFile';
  if (set.has('filePlain') && set.has('fileFile')) return 'error';
  if (set.has('filePlain')) return 'filePlain';
  if (set.has('fileFile')) return 'fileFile';
  return 'unset';
}

const nest = (path: string, value: unknown): Record<string, unknown> =>
  path
    .split('.')
    .reverse()
    .reduce<unknown>((inner, part) => ({ [part]: inner }), value) as Record<string, unknown>;

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      typeof prev === 'object' && prev && typeof v === 'object' && v
        ? merge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

describe('precedence: the environment over the file, whichever form', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hutong-precedence-'));
    for (const form of forms) await writeFile(join(dir, form), `${formValue(form)}\n`);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const [fileKey, env, value] of settings) {
    test(`${fileKey} / ${env}: all 16 combinations of ${forms.join(', ')}`, async () => {
      for (let mask = 0; mask < 16; mask++) {
        const set = new Set(forms.filter((_, i) => mask & (1 << i)));
        let content: Record<string, unknown> = {
          appid: testApp.appid,
          appSecret: 'base-secret',
          tunnel: { signatureKey: 'base-tunnel-key' },
          store: { url: ':memory:' },
        };
        // The setting under test starts unset in the file; the forms chosen set it.
        content = JSON.parse(
          JSON.stringify(content, (k, v) => (k === fileKey.split('.').at(-1) ? undefined : v)),
        );
        const environment: Record<string, string> = {};
        if (set.has('envPlain')) environment[env] = formValue('envPlain');
        if (set.has('envFile')) environment[`${env}_FILE`] = join(dir, 'envFile');
        if (set.has('filePlain')) content = merge(content, nest(fileKey, formValue('filePlain')));
        if (set.has('fileFile')) content = merge(content, nest(`${fileKey}File`, join(dir, 'fileFile')));
        const path = join(dir, 'p.json');
        await writeFile(path, JSON.stringify(content));
        const report = await checkConfigWithFile(path, environment);
        const want = expected(set);
        const label = `${fileKey} with ${[...set].join('+') || 'nothing'}`;
        if (want === 'error') {
          const both = report.errors.find((e) => /set either .* or .*_FILE, not both/.test(e.detail));
          assert.ok(both, `${label}: ${report.errors.map((e) => e.message).join('; ')}`);
          assert.ok(both.message.includes(env), label);
          continue;
        }
        if (want === 'unset') continue; // required settings fail, optional ones take their default
        assert.deepEqual(report.errors, [], label);
        assert.equal(value(report.config), formValue(want), label);
      }
    });
  }

  test('a plain setting: HUTONG_X_FILE in the environment beats x in the file', async () => {
    await writeFile(join(dir, 'port'), '7001\n');
    const path = join(dir, 'port.json');
    await writeFile(
      path,
      JSON.stringify({ appid: testApp.appid, appSecret: 's', tunnel: { signatureKey: 'k' }, port: 7000 }),
    );
    assert.equal((await checkConfigWithFile(path, { PORT_FILE: join(dir, 'port') })).config.port, 7001);
    assert.equal((await checkConfigWithFile(path, { PORT: '7002' })).config.port, 7002);
    assert.equal((await checkConfigWithFile(path, {})).config.port, 7000);
  });

  test('apps: either form in the environment replaces either form in the file', async () => {
    const path = join(dir, 'apps.json');
    await writeFile(
      path,
      JSON.stringify({
        apps: [{ appid: 'wx1111111111111111', secret: 'file-list' }],
        tunnel: { signatureKey: 'k' },
      }),
    );
    const single = await checkConfigWithFile(path, {
      HUTONG_APPID: 'wx2222222222222222',
      HUTONG_APP_SECRET: 'env',
    });
    assert.deepEqual(single.config.apps, [{ appid: 'wx2222222222222222', secret: 'env' }]);
    const path2 = join(dir, 'app.json');
    await writeFile(
      path2,
      JSON.stringify({ appid: 'wx1111111111111111', appSecret: 'file', tunnel: { signatureKey: 'k' } }),
    );
    const list = await checkConfigWithFile(path2, { HUTONG_APPS: 'wx3333333333333333:env-list' });
    assert.deepEqual(list.config.apps, [{ appid: 'wx3333333333333333', secret: 'env-list' }]);
    // The secret alone from the environment completes the file's appid.
    const split = await checkConfigWithFile(path2, { HUTONG_APP_SECRET: 'env-secret' });
    assert.deepEqual(split.config.apps, [{ appid: 'wx1111111111111111', secret: 'env-secret' }]);
  });

  test('an error about a value names the source it came from', async () => {
    const path = join(dir, 'src.json');
    await writeFile(
      path,
      JSON.stringify({
        appid: testApp.appid,
        appSecretFile: '/nonexistent/secret',
        tunnel: { signatureKey: 'k' },
      }),
    );
    const fromFile = await checkConfigWithFile(path, {});
    assert.deepEqual(
      fromFile.errors.map((e) => e.key),
      ['src.json: appSecretFile (HUTONG_APP_SECRET_FILE)'],
    );
    const overridden = await checkConfigWithFile(path, { HUTONG_APP_SECRET: 'from-env' });
    assert.deepEqual(overridden.errors, [], 'the environment hides the file’s appSecretFile');
    assert.equal(overridden.config.apps[0]!.secret, 'from-env');
  });
});
