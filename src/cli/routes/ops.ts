/** Operations commands (issue 7: cleanup, doctor, setup, hosts, completions), registered in `src/cli/app.ts`. */
export const opsRoutes = {};
