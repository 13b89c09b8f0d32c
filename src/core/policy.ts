/**
 * Reclaim and stale policy. Pure: the caller passes `now` and whether each recorded process is alive.
 */

/** Default: an allocation may be reclaimed after 7 days without being seen. */
export const DEFAULT_RECLAIM_AFTER_MS = 7 * 86_400_000;
/** Default: a dead process whose heartbeat is older than 30 minutes is stale. */
export const DEFAULT_STALE_AFTER_MS = 30 * 60_000;
/** Default age after which `autoclean` and the automatic clean-up expire a reservation: 30 days. */
export const DEFAULT_EXPIRE_AFTER_MS = 30 * 86_400_000;

/** What the policy needs to know about one allocation. */
export interface Holder {
  id: number;
  last_seen_at: number;
  /** Whether the recorded process is still running (false when no pid is recorded). */
  alive: boolean;
}

/**
 * Picks the allocation to reclaim when the pool is full: the least recently seen among those not
 * seen for `reclaimAfterMs` whose process is not alive; `undefined` when none qualifies.
 */
export function chooseReclaim<T extends Holder>(
  holders: readonly T[],
  now: number,
  reclaimAfterMs: number,
): T | undefined {
  let best: T | undefined;
  for (const h of holders) {
    if (h.alive || now - h.last_seen_at < reclaimAfterMs) continue;
    if (
      !best || h.last_seen_at < best.last_seen_at || (h.last_seen_at === best.last_seen_at && h.id < best.id)
    ) {
      best = h;
    }
  }
  return best;
}

/** A process record is stale when the process is dead and its heartbeat is older than the stale time. */
export function isStale(holder: Holder, now: number, staleAfterMs: number): boolean {
  return !holder.alive && now - holder.last_seen_at >= staleAfterMs;
}
