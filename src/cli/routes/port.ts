/** Commands of port reservations and configuration (issue 6), registered in `src/cli/app.ts`. */
export const portRoutes = {};
