import type { AppContext } from "../context.ts";

export default function (this: AppContext, _flags: unknown): void {}
