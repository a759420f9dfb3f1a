import type { AuthBackend } from '../backend.js';
import type { TunnelBackend } from '../tunnel/tunnel-backend.js';

/**
 * The Wafer 1 server SDK's configuration object (qcloud-weapp-server-sdk `config`): call it with
 * options, read with `getX()`, write with `setX()`. Keys are accepted in PascalCase (as the SDK
 * documents) or camelCase (as `sdk.config` files wrote them). Hutong adds `AuthBackend`: an auth
 * backend in the same process, used instead of `AuthServerUrl`.
 */
export interface Wafer1Settings {
  ServerHost: string;
  AuthServerUrl: string;
  TunnelServerUrl: string;
  TunnelSignatureKey: string;
  TunnelCheckSignature: boolean;
  NetworkTimeout: number;
  AuthBackend: AuthBackend | null;
  /** Hutong's addition: a tunnel backend in the same process, used instead of `TunnelServerUrl`. */
  TunnelBackend: TunnelBackend | null;
}

const defaults = (): Wafer1Settings => ({
  ServerHost: '',
  AuthServerUrl: '',
  TunnelServerUrl: '',
  TunnelSignatureKey: '',
  TunnelCheckSignature: true,
  NetworkTimeout: 30_000,
  AuthBackend: null,
  TunnelBackend: null,
});

type Getters = { [K in keyof Wafer1Settings as `get${K}`]: () => Wafer1Settings[K] };
type Setters = { [K in keyof Wafer1Settings as `set${K}`]: (value: Wafer1Settings[K]) => void };

export type Wafer1Config = ((options?: Partial<Wafer1Settings> & Record<string, unknown>) => void) &
  Getters &
  Setters & { reset(): void };

export function createWafer1Config(): Wafer1Config {
  let settings = defaults();
  const keys = Object.keys(settings) as (keyof Wafer1Settings)[];
  const byLowerName = new Map(keys.map((key) => [key.toLowerCase(), key]));

  const config = ((options: Record<string, unknown> = {}) => {
    for (const [name, value] of Object.entries(options)) {
      const key = byLowerName.get(name.toLowerCase());
      if (!key) continue;
      const current = settings[key];
      // Like the original: a value of the wrong type is ignored rather than stored.
      const isObjectKey = key === 'AuthBackend' || key === 'TunnelBackend';
      if (isObjectKey ? typeof value === 'object' : typeof value === typeof current) {
        (settings as unknown as Record<string, unknown>)[key] = value;
      }
    }
  }) as Wafer1Config;

  const target = config as unknown as Record<string, unknown>;
  for (const key of keys) {
    target[`get${key}`] = () => {
      const value = settings[key];
      if (typeof value === 'string' && !value) {
        throw new Error(`\`${key}\`不能为空，请确保 SDK 配置已正确初始化`);
      }
      return value;
    };
    target[`set${key}`] = (value: unknown) => {
      (settings as unknown as Record<string, unknown>)[key] = value;
    };
  }
  config.reset = () => {
    settings = defaults();
  };
  return config;
}

/** The module-wide configuration, like `require('qcloud-weapp-server-sdk').config`. */
export const config = createWafer1Config();
