import type { TunnelDirectory } from '@hutong/core';

/**
 * Where listed tunnels are open, for the calls that reach any node (pushes, room moves): the ids
 * open on this node are handled here, the rest go to the node the directory names.
 */

/** The listed ids, each once: those open on this node and the rest. */
export function splitHere(
  holds: (tunnelId: string) => boolean,
  tunnelIds: Iterable<string>,
): { here: string[]; elsewhere: string[] } {
  const here: string[] = [];
  const elsewhere: string[] = [];
  for (const id of new Set(tunnelIds)) (holds(id) ? here : elsewhere).push(id);
  return { here, elsewhere };
}

/** Ids not open here, by the other node holding each; `nowhere`: those no other node holds. */
export async function locateOthers(
  directory: TunnelDirectory,
  tunnelIds: readonly string[],
): Promise<{ byNode: Map<string, string[]>; nowhere: string[] }> {
  const owners = await directory.locate(tunnelIds);
  const byNode = new Map<string, string[]>();
  const nowhere: string[] = [];
  for (const id of tunnelIds) {
    const node = owners.get(id);
    if (!node || node === directory.nodeId) nowhere.push(id);
    else {
      const ids = byNode.get(node);
      if (ids) ids.push(id);
      else byNode.set(node, [id]);
    }
  }
  return { byNode, nowhere };
}
