// The default scheduler: pure filters and scores (filters.ts, scores.ts, schedule.ts) over an
// in-memory cache (cache.ts), run in-process by the control plane (scheduler.ts).
export { Scheduler, type SchedulerOptions } from "./scheduler.js";
export { SCHEDULER_NAME } from "./events.js";
