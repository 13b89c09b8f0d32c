/** `treehouse ip`: print this branch's IP, allocating it on first use. */
import type { AppContext } from "../context.ts";
import { out } from "../output.ts";
import { allocateFor } from "./allocate.ts";
import type { AppFlags, BranchFlags } from "../target.ts";

export default function ip(this: AppContext, flags: BranchFlags & AppFlags): void {
  const { allocation } = allocateFor(this, flags);
  out(this, `${allocation.ip}\n`);
}
