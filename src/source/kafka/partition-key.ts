/**
 * The one string key of a topic partition in the node's maps (source, watermark, backpressure,
 * dispatch, consume positions, quiet clock): several of them are looked up with keys made by another,
 * so they must all be made here.
 */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
