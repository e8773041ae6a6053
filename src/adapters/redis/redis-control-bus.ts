import type { RedisClient } from './redis-connection.js';

/**
 * The Pub/Sub the control forwarder talks over. `publish` resolves with how many subscribers
 * received the message, which is how a forwarder tells an owner that is not listening.
 */
export interface ControlBus {
  publish(channel: string, message: string): Promise<number>;
  subscribe(...channels: string[]): Promise<void>;
  onMessage(handler: (channel: string, message: string) => void): void;
  /** Drops the subscriber connection. */
  disconnect(): void;
}

/**
 * On one Redis: PUBLISH/SUBSCRIBE, which any Redis version has. On a Cluster, classic PUBLISH
 * floods every node and counts only the receivers connected to the node it was sent to, so
 * the forwarder could not tell a listening owner from a silent one; sharded Pub/Sub (Redis 7)
 * delivers on the channel's own shard and counts every receiver there.
 */
export function createControlBus(
  commands: RedisClient,
  subscriber: RedisClient,
  sharded: boolean,
): ControlBus {
  return {
    async publish(channel, message) {
      const receivers = sharded
        ? await commands.spublish(channel, message)
        : await commands.publish(channel, message);
      return Number(receivers);
    },
    async subscribe(...channels) {
      if (!sharded) {
        await subscriber.subscribe(...channels);
        return;
      }
      // Each SSUBSCRIBE names channels of one slot.
      for (const channel of channels) await subscriber.ssubscribe(channel);
    },
    onMessage(handler) {
      subscriber.on(sharded ? 'smessage' : 'message', handler);
    },
    disconnect() {
      subscriber.disconnect();
    },
  };
}
