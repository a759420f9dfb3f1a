/** The dev stack's port is taken: which one, and how to start on another, without a stack trace. */
export class PortTakenError extends Error {
  override readonly name = 'PortTakenError';
  constructor(
    readonly host: string,
    readonly port: number,
    options?: ErrorOptions,
  ) {
    super(
      `port ${port} on ${host} is already in use (another \`npm start\`?). ` +
        `Stop that process, or start on another port: \`PORT=${port === 5858 ? 5859 : 5858} npm start\` ` +
        '(or `port` in the HUTONG_CONFIG file).',
      options,
    );
  }
}

/** Whether `error` is a listen's "address in use". */
export const isAddressInUse = (error: unknown) => (error as { code?: unknown })?.code === 'EADDRINUSE';
