/** `treehouse port release`: removes the reservation of (path, tag), or everything under a path. */
import { NotFoundError } from "../../../errors.ts";
import { holderName } from "../../../services/reserve/reserve.ts";
import { deleteReservation, findReservation, listReservations } from "../../../registry/reservations.ts";
import type { AppContext } from "../../context.ts";
import { json, out, say } from "../../output.ts";
import { keyPath, readRegistry, tagOf } from "./common.ts";

/** Flags of `port release`. */
export interface ReleaseFlags {
  readonly path?: string;
  readonly tag?: string;
  readonly recursive?: boolean;
  readonly json?: boolean;
}

export default function releasePort(this: AppContext, flags: ReleaseFlags): void {
  const path = keyPath(this, flags.path);
  const tag = tagOf(flags.tag);
  const released = readRegistry(this, (registry) =>
    registry.write(() => {
      if (flags.recursive) {
        const rows = listReservations(registry, { path, recursive: true })
          .filter((r) => flags.tag === undefined || r.tag === tag);
        for (const r of rows) deleteReservation(registry, r.path, r.tag);
        return rows;
      }
      const r = findReservation(registry, path, tag);
      if (r) deleteReservation(registry, path, tag);
      return r ? [r] : [];
    }), []);
  if (released.length === 0 && !flags.recursive) {
    throw new NotFoundError(`No reservation for ${holderName({ path, tag })}`, {
      hint: "See `treehouse port list` for what is reserved (--tag selects a tagged reservation)",
    });
  }
  if (flags.json) out(this, json(released));
  else for (const r of released) say(this, `Released port ${r.port} of ${holderName(r)}`);
  if (!flags.json && released.length === 0) say(this, `Nothing reserved under ${path}`);
}
