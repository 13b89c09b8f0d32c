/** Commands of the `run` feature (issue 5), registered in `src/cli/app.ts`. */
export const runRoutes = {};
