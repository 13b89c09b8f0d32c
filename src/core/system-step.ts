/** One change a setup makes to the machine, planned in core and run by `adapters/system-steps.ts`. */

/** One thing to do; `sudo` when it needs root and treehouse is not root. */
export type SystemStep =
  | { readonly kind: "write"; readonly path: string; readonly content: string; readonly sudo: boolean }
  | { readonly kind: "remove"; readonly path: string; readonly sudo: boolean }
  | { readonly kind: "mkdir"; readonly path: string; readonly sudo: boolean }
  /** `mayFail`: a failure is expected and harmless (e.g. unloading). */
  | { readonly kind: "run"; readonly argv: string[]; readonly sudo: boolean; readonly mayFail?: boolean };
