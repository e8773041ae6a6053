/**
 * Whether a node still holds its calls' media. On Redis every node renews a lease; on one node
 * (SQLite) only this process exists, so any other owner is gone.
 */
export interface NodeLiveness {
  isAlive(nodeId: string): Promise<boolean>;
}
