// The node's images: reference normalisation and the store of extracted layers and image records.
export { normalizeImageRef, parseImageRef, formatImageRef, familiarImageRef, InvalidReferenceError, type ImageReference } from "./reference.js";
export type { ImageConfig } from "./config.js";
export { ImageStore, NotAnArchiveError, DEFAULT_IMAGES_ROOT, RECORDS_FILE, summarizeRecords, type ImageRecord, type StoredImageSummary } from "./store.js";
