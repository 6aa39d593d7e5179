// Query parameters of the REST operations, by operation kind. Descriptions are ours, short; the
// names and types are the API's. `fieldValidation` on create/update/patch is what tells kubectl
// (1.27+) that the server validates fields itself, so it must stay on those operations.

export interface QueryParam {
  name: string;
  type: "string" | "integer" | "boolean";
  description: string;
}

const p = (name: string, type: QueryParam["type"], description: string): QueryParam => ({ name, type, description });

const dryRun = p("dryRun", "string", "When present, modifications are not persisted. The only valid value is All: run all stages as a dry run.");
const fieldManager = p("fieldManager", "string", "Name of the actor making the change, recorded in managedFields. Required for apply patches.");
const fieldValidation = p(
  "fieldValidation",
  "string",
  "How the server treats unknown or duplicate fields in the body: Ignore drops them silently, Warn drops them and returns a warning for each, Strict fails the request with BadRequest.",
);
const force = p("force", "boolean", "Apply patches only: take ownership of fields other managers own instead of failing with a conflict.");

const allowWatchBookmarks = p("allowWatchBookmarks", "boolean", "Ask for BOOKMARK watch events, which carry only a resourceVersion.");
const cont = p("continue", "string", "Continue token from a previous list call that was limited, to fetch the next chunk.");
const fieldSelector = p("fieldSelector", "string", "Restrict the list to objects whose fields match, e.g. metadata.name=web.");
const labelSelector = p("labelSelector", "string", "Restrict the list to objects whose labels match the selector.");
const limit = p("limit", "integer", "Maximum number of objects to return; more are available with the continue token.");
const resourceVersion = p("resourceVersion", "string", "Which version of the collection to serve (list) or to start from (watch); see resourceVersionMatch.");
const resourceVersionMatch = p("resourceVersionMatch", "string", "How resourceVersion applies to a list: Exact or NotOlderThan.");
const sendInitialEvents = p("sendInitialEvents", "boolean", "With watch=true: first send synthetic ADDED events for the current state, then a bookmark.");
const timeoutSeconds = p("timeoutSeconds", "integer", "Timeout for the list or watch call, regardless of activity.");
const watch = p("watch", "boolean", "Watch for changes to the described resources and return them as a stream of events.");

const gracePeriodSeconds = p("gracePeriodSeconds", "integer", "Seconds before the object should be deleted; zero deletes immediately.");
const orphanDependents = p("orphanDependents", "boolean", "Deprecated: use propagationPolicy. Whether dependents are orphaned.");
const propagationPolicy = p("propagationPolicy", "string", "How garbage collection treats dependents: Orphan, Background or Foreground.");

const listParams = [allowWatchBookmarks, cont, fieldSelector, labelSelector, limit, resourceVersion, resourceVersionMatch, sendInitialEvents, timeoutSeconds];

export const QUERY_PARAMS = {
  list: [...listParams, watch],
  create: [dryRun, fieldManager, fieldValidation],
  update: [dryRun, fieldManager, fieldValidation],
  patch: [dryRun, fieldManager, fieldValidation, force],
  delete: [dryRun, gracePeriodSeconds, orphanDependents, propagationPolicy],
  deletecollection: [cont, dryRun, fieldSelector, gracePeriodSeconds, labelSelector, limit, orphanDependents, propagationPolicy, resourceVersion, resourceVersionMatch, sendInitialEvents, timeoutSeconds],
  log: [
    p("container", "string", "The container for which to stream logs. Defaults to the only container if there is one."),
    p("follow", "boolean", "Follow the log stream of the pod."),
    p("insecureSkipTLSVerifyBackend", "boolean", "Do not verify the serving certificate of the kubelet."),
    p("limitBytes", "integer", "Number of bytes to read from the server before terminating the log output."),
    p("previous", "boolean", "Return the logs of the previously terminated container."),
    p("sinceSeconds", "integer", "Relative time in seconds before the current time from which to show logs."),
    p("tailLines", "integer", "Number of lines from the end of the logs to show."),
    p("timestamps", "boolean", "Prefix every line of log output with an RFC3339 timestamp."),
  ],
} satisfies Record<string, QueryParam[]>;

/** Present on every path (kube publishes it at path level). */
export const PRETTY = p("pretty", "string", "If 'true', the output is pretty printed.");
