/**
 * Static group membership (KIP-345). A consumer that rejoins with the group.instance.id of a member
 * the broker still holds takes that member's place and assignment without a rebalance, so a node
 * restarted after a crash resumes its partitions in seconds instead of waiting for the dead member's
 * session to time out.
 */
import { hostname } from 'node:os';

/**
 * The id to use: the configured one (empty disables static membership), else a name that is stable
 * across restarts of the same node and distinct between nodes: the pod name in Kubernetes (a
 * StatefulSet keeps it), else the host name.
 */
export function groupInstanceId(
  configured: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
  host: () => string = hostname,
): string | undefined {
  if (configured !== undefined) return configured === '' ? undefined : configured;
  for (const name of [env.POD_NAME, env.HOSTNAME, host()]) {
    const id = name?.trim();
    if (id) return id;
  }
  return undefined;
}
