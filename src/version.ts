/** The one place the version lives; a test checks it matches `deno.json`. */
export const VERSION = "0.1.0";
