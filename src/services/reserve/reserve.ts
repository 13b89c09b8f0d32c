/**
 * Reserving ports: idempotent per (path, tag), sticky project and task, allocation inside one
 * `BEGIN IMMEDIATE` transaction (so two processes never get the same port), and one automatic
 * clean-up (prune + expire) before reporting an exhausted range. The occupancy probes (a bind each,
 * or a read of the kernel's socket tables) run before the transaction: the choice is made outside,
 * and inside the transaction only the registry is checked again (a probe there runs only for a port
 * the first pass did not look at, when another process took the chosen one meanwhile).
 */
import { ConflictError, PoolExhaustedError } from "../../errors.ts";
import type { GroupConfig } from "../../adapters/config-files.ts";
import type { Settings } from "../settings.ts";
import { inferFromGit } from "./infer.ts";
import { canonicalize } from "../../adapters/paths.ts";
import type { Registry } from "../../registry/registry.ts";
import { chooseGroupPorts, type GroupSlot, scanRange } from "../../core/port-choice.ts";
import { cleanReservations, type Removal } from "../maintain.ts";
import type { Occupancy, OccupancyChecks } from "../../adapters/net/occupancy.ts";
import { compactSpans, formatSpans, inSpans, type PortSpan, spanSize } from "../../core/spans.ts";
import {
  countInRange,
  findByPort,
  findReservation,
  insertReservation,
  listExclusions,
  nextUnreserved,
  type Reservation,
  updateReservation,
} from "../../registry/reservations.ts";

/** One named port: the tag, its variable and its number. */
export interface NamedPort {
  tag: string;
  env: string;
  port: number;
}
/** The settings reservations need (a subset of `Settings`). */
export interface PortPolicy {
  portRange: PortSpan;
  excludedPorts: PortSpan[];
  occupancy: OccupancyChecks;
  cleanupOnExhaustion: boolean;
  expireAfterMs: number;
}

/** The reservation policy of the settings. */
export function policyOf(s: Settings): PortPolicy {
  return {
    portRange: s.portRange,
    excludedPorts: s.excludedPorts,
    occupancy: s.occupancy,
    cleanupOnExhaustion: s.cleanupOnExhaustion,
    expireAfterMs: s.expireAfterMs,
  };
}

/** A reservation request. */
export interface ReserveRequest {
  path: string;
  tag: string | null;
  /** `--port`: tried first. */
  preferred?: number;
  project: string | null;
  task: string | null;
  /** Whether project/task were given explicitly (only explicit values can conflict). */
  explicitProject: boolean;
  explicitTask: boolean;
  force: boolean;
  /** Let an explicit `--project` / `--task` replace the stored one (`--force` implies both). */
  allowProjectChange?: boolean;
  allowTaskChange?: boolean;
  ttlMs?: number;
  allowExcluded: boolean;
  allowOccupied: boolean;
  now: number;
}

/** The outcome: the reservation, whether it is new, what the automatic clean-up removed, notes for stderr. */
export interface ReserveResult {
  reservation: Reservation;
  created: boolean;
  cleaned: Removal[];
  notes: string[];
}

/** Marker thrown inside a transaction when no port is left (rolled back, then cleaned up once). */
class Exhausted extends Error {}

/** Every excluded span: configuration plus the registry's `port exclude` list. */
export function allExclusions(registry: Registry, policy: PortPolicy): PortSpan[] {
  return compactSpans([...policy.excludedPorts, ...registry.read(() => listExclusions(registry))]);
}

/** Describes who holds a port, e.g. `/src/app [web]`. */
export function holderName(r: Pick<Reservation, "path" | "tag">): string {
  return r.tag === null ? r.path : `${r.path} [${r.tag}]`;
}

/** Runs `attempt`; when the range is exhausted, cleans up once (if enabled) and tries again. */
function withCleanup<T>(
  registry: Registry,
  policy: PortPolicy,
  now: number,
  attempt: () => T,
): { value: T; cleaned: Removal[] } {
  try {
    return { value: attempt(), cleaned: [] };
  } catch (error) {
    if (!(error instanceof Exhausted)) throw error;
  }
  let cleaned: Removal[] = [];
  if (policy.cleanupOnExhaustion) {
    cleaned = cleanReservations(registry, {
      prune: true,
      expired: true,
      olderThanMs: policy.expireAfterMs,
      now,
      dryRun: false,
    });
    if (cleaned.length > 0) {
      try {
        return { value: attempt(), cleaned };
      } catch (error) {
        if (!(error instanceof Exhausted)) throw error;
      }
    }
  }
  throw exhaustedError(registry, policy, cleaned.length);
}

function exhaustedError(registry: Registry, policy: PortPolicy, cleaned: number): PoolExhaustedError {
  const range = policy.portRange;
  const held = registry.read(() => countInRange(registry, range.first, range.last));
  const excluded = allExclusions(registry, policy).reduce((n, s) => {
    const first = Math.max(s.first, range.first), last = Math.min(s.last, range.last);
    return n + (last >= first ? last - first + 1 : 0);
  }, 0);
  const rest = spanSize(range) - held - excluded;
  const cleanup = policy.cleanupOnExhaustion
    ? `the automatic clean-up removed ${cleaned} stale reservation${cleaned === 1 ? "" : "s"}`
    : "automatic clean-up is off (cleanup.on_exhaustion)";
  return new PoolExhaustedError(
    `Port range ${formatSpans([range])} is exhausted: ${held} reserved, ${excluded} excluded, ` +
      `${Math.max(rest, 0)} occupied by other programs; ${cleanup}`,
    {
      hint: "Release reservations (treehouse port release --path P, treehouse port autoclean), or widen " +
        `the range (ports.range in treehouse.toml, or TREEHOUSE_PORTS_RANGE=${range.first}-${
          Math.min(range.last + 1000, 65535)
        })`,
    },
  );
}

/** Makes the occupancy probe of a policy (a seam for tests). */
export type ProbeFactory = (checks: OccupancyChecks) => (port: number) => Occupancy;

/** A probe that answers each port once: the answers of the pass before the transaction are reused in it. */
function remembering(probe: (port: number) => Occupancy): (port: number) => Occupancy {
  const seen = new Map<number, Occupancy>();
  return (port) => {
    let found = seen.get(port);
    if (!found) seen.set(port, found = probe(port));
    return found;
  };
}

/** Reserves (or refreshes) the port of (path, tag). Idempotent: the same key gets the same port. */
export function reserve(
  registry: Registry,
  policy: PortPolicy,
  req: ReserveRequest,
  probeFor: ProbeFactory,
): ReserveResult {
  const excluded = allExclusions(registry, policy);
  const probe = remembering(probeFor(policy.occupancy));
  // The choice outside the write lock: the same rules as below, reading only.
  registry.read(() => {
    const existing = findReservation(registry, req.path, req.tag);
    const moving = existing && req.force && req.preferred !== undefined && req.preferred !== existing.port;
    if (existing && !moving) return;
    const free = (p: number) =>
      p >= 1 && p <= 65535 && !findByPort(registry, p) && !inSpans(p, excluded) && !probe(p).occupied;
    if (req.preferred !== undefined && (free(req.preferred) || existing)) return;
    scanRange(policy.portRange, (p, last) => nextUnreserved(registry, p, last), free, req.preferred);
  });
  const { value, cleaned } = withCleanup(registry, policy, req.now, () =>
    registry.write(() => {
      const notes: string[] = [];
      const existing = findReservation(registry, req.path, req.tag);
      const isFree = (p: number, explicit: boolean) => {
        if (p < 1 || p > 65535) return false;
        const holder = findByPort(registry, p);
        if (holder) {
          if (explicit) notes.push(`Port ${p} is reserved by ${holderName(holder)}`);
          return false;
        }
        if (inSpans(p, excluded) && !(explicit && req.allowExcluded)) {
          if (explicit) notes.push(`Port ${p} is excluded (pass --allow-excluded to take it anyway)`);
          return false;
        }
        const occ = probe(p);
        if (occ.occupied && !(explicit && req.allowOccupied)) {
          if (explicit) {
            notes.push(
              `Port ${p} is in use now (${occ.by.join(", ")}); pass --allow-occupied to take it anyway`,
            );
          }
          return false;
        }
        return true;
      };
      if (existing) {
        const updated = { ...existing, last_used_at: req.now };
        for (const field of ["project", "task"] as const) {
          const wanted = req[field];
          const explicit = field === "project" ? req.explicitProject : req.explicitTask;
          if (wanted === null || wanted === existing[field]) continue;
          // A missing value is filled in; an inferred one never replaces a stored one.
          if (existing[field] === null) updated[field] = wanted;
          else if (explicit) {
            const allowed = req.force || (field === "project" ? req.allowProjectChange : req.allowTaskChange);
            if (!allowed) {
              throw new ConflictError(
                `${holderName(existing)} is reserved with ${field} "${existing[field]}", not "${wanted}"`,
                {
                  hint: `Pass --allow-${field}-change (or --force) to change it: it is sticky so a typo ` +
                    "cannot rename a reservation",
                },
              );
            }
            updated[field] = wanted;
          }
        }
        if (req.ttlMs !== undefined) updated.expires_at = req.now + req.ttlMs;
        // Using a reservation renews its time to live by the same length it was given.
        else if (existing.expires_at !== null) {
          updated.expires_at = req.now + Math.max(existing.expires_at - existing.last_used_at, 0);
        }
        if (req.preferred !== undefined && req.preferred !== existing.port) {
          if (!req.force) {
            notes.push(
              `${
                holderName(existing)
              } keeps port ${existing.port}; pass --force to move it to ${req.preferred}`,
            );
          } else if (isFree(req.preferred, true)) {
            updated.port = req.preferred;
          } else {
            throw new ConflictError(
              `Cannot move ${holderName(existing)} to port ${req.preferred}: ${notes.pop()}`,
            );
          }
        }
        updateReservation(registry, updated);
        return { reservation: updated, created: false, notes };
      }
      const port = req.preferred !== undefined && isFree(req.preferred, true) ? req.preferred : scanRange(
        policy.portRange,
        (p, last) => nextUnreserved(registry, p, last),
        (p) => isFree(p, false),
        req.preferred,
      );
      if (port === undefined) throw new Exhausted();
      if (req.preferred !== undefined && port !== req.preferred) notes.push(`took ${port} instead`);
      const reservation: Reservation = {
        path: req.path,
        tag: req.tag,
        port,
        project: req.project,
        task: req.task,
        created_at: req.now,
        last_used_at: req.now,
        expires_at: req.ttlMs === undefined ? null : req.now + req.ttlMs,
      };
      insertReservation(registry, reservation);
      return { reservation, created: true, notes };
    }));
  return { ...value, cleaned };
}

/** A group reservation request: every member of `group`, keyed by the group's directory. */
export interface GroupRequest {
  group: GroupConfig;
  project: string | null;
  task: string | null;
  now: number;
}

/** Reserves every member of a group, or none (one transaction). Returns reservations in member order. */
export function reserveGroup(
  registry: Registry,
  policy: PortPolicy,
  req: GroupRequest,
  probeFor: ProbeFactory,
): { reservations: Reservation[]; created: string[]; cleaned: Removal[] } {
  const excluded = allExclusions(registry, policy);
  const probe = remembering(probeFor(policy.occupancy));
  const isFree = (p: number) => !findByPort(registry, p) && !inSpans(p, excluded) && !probe(p).occupied;
  const choose = (existing: Map<string, Reservation>) => {
    const slots: GroupSlot[] = req.group.members.map((m) => {
      const r = findReservation(registry, req.group.dir, m.tag);
      if (r) existing.set(m.tag, r);
      return { tag: m.tag, existing: r?.port, offset: m.offset, port: m.port };
    });
    return chooseGroupPorts(
      slots,
      policy.portRange,
      isFree,
      req.group.base,
      (p, last) => nextUnreserved(registry, p, last),
    );
  };
  registry.read(() => choose(new Map())); // the choice outside the write lock (probes cached)
  const { value, cleaned } = withCleanup(registry, policy, req.now, () =>
    registry.write(() => {
      const existing = new Map<string, Reservation>();
      const ports = choose(existing);
      if (!ports) throw new Exhausted();
      const created: string[] = [];
      const reservations = req.group.members.map((m) => {
        const old = existing.get(m.tag);
        if (old) {
          const r = { ...old, last_used_at: req.now };
          updateReservation(registry, r);
          return r;
        }
        const r: Reservation = {
          path: req.group.dir,
          tag: m.tag,
          port: ports.get(m.tag) as number,
          project: req.project,
          task: req.task,
          created_at: req.now,
          last_used_at: req.now,
          expires_at: null,
        };
        insertReservation(registry, r);
        created.push(m.tag);
        return r;
      });
      return { reservations, created };
    }));
  return { ...value, cleaned };
}

/**
 * Reserves a group keyed by its directory (canonicalized), with project and task from git, and
 * returns its ports with their variable names, in member order.
 */
export function reserveNamedPorts(
  registry: Registry,
  group: GroupConfig,
  policy: PortPolicy,
  now: number,
  probeFor: ProbeFactory,
): { ports: NamedPort[]; cleaned: number } {
  const dir = canonicalize(group.dir);
  const { project, task } = inferFromGit(dir);
  const result = reserveGroup(registry, policy, { group: { ...group, dir }, project, task, now }, probeFor);
  const ports = group.members.map((m, i) => ({ tag: m.tag, env: m.env, port: result.reservations[i]!.port }));
  return { ports, cleaned: result.cleaned.length };
}
