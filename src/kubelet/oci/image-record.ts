// The image record as the runtime layer consumes it: the image store's record without the layer
// diff IDs (which only the store needs), so tests can build one by hand.
import type { ImageRecord as StoredImage } from "../images/index.js";

export type { ImageConfig } from "../images/index.js";
export type ImageRecord = Omit<StoredImage, "diffIds">;
