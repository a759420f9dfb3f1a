/**
 * A Kysely plugin that renames the store's tables to `<prefix><name>` in every query it compiles,
 * so queries name them plainly (`users`) while several deployments or test runs share a database.
 * Only the listed names change; aliases and other tables pass through untouched.
 */
import {
  IdentifierNode,
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryId,
  type TableNode,
} from 'kysely';

class TablePrefixTransformer extends OperationNodeTransformer {
  readonly #prefix: string;
  readonly #names: ReadonlySet<string>;

  constructor(prefix: string, names: Iterable<string>) {
    super();
    this.#prefix = prefix;
    this.#names = new Set(names);
  }

  protected override transformTable(node: TableNode, queryId?: QueryId): TableNode {
    const out = super.transformTable(node, queryId);
    const name = out.table.identifier.name;
    if (!this.#names.has(name)) return out;
    return { ...out, table: { ...out.table, identifier: IdentifierNode.create(this.#prefix + name) } };
  }
}

/** `prefix` must be a plain identifier fragment: letters, digits, underscores. */
export function tablePrefixPlugin(prefix: string, names: Iterable<string>): KyselyPlugin {
  if (!/^[A-Za-z0-9_]*$/.test(prefix)) throw new TypeError(`invalid table prefix ${JSON.stringify(prefix)}`);
  const transformer = new TablePrefixTransformer(prefix, names);
  return {
    transformQuery: (args: PluginTransformQueryArgs) => transformer.transformNode(args.node, args.queryId),
    transformResult: async (args: PluginTransformResultArgs) => args.result,
  };
}
