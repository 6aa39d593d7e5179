// Public surface of the generic validation package.
export * from "./names.js";
export * from "./field.js";
export * from "./labels.js";
export * from "./objectmeta.js";
export * from "./quantity.js";
export * from "./net.js";
